"""The one page: how to call the API, and the files it has stored."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from flask.typing import ResponseReturnValue

from .api import stored_files
from .checksum import format_digest

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    files = [
        {"name": path.name, "size": path.stat().st_size,
         "digest": format_digest(bytes.fromhex(path.name))}
        for path in stored_files()
    ]  # fmt: skip
    return render_template("index.html", files=files)
