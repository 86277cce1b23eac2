"""The one page: how to call the API, and the files it has stored."""

from __future__ import annotations

import math

from flask import abort
from flask import Blueprint
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue

from .api import stored_files
from .checksum import format_digest

bp = Blueprint("pages", __name__)

PER_PAGE = 20  # files listed on one page


@bp.get("/")
def index() -> ResponseReturnValue:
    paths = stored_files()
    pages = max(1, math.ceil(len(paths) / PER_PAGE))  # one page when empty too
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= pages:
        abort(404, f"There is no page {page}: the files fill pages 1 to {pages}.")
    files = [
        {"name": path.name, "size": path.stat().st_size,
         "digest": format_digest(bytes.fromhex(path.name))}
        for path in paths[(page - 1) * PER_PAGE : page * PER_PAGE]
    ]  # fmt: skip
    return render_template("index.html", files=files, page=page, pages=pages)
