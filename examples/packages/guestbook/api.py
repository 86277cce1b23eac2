"""The guestbook as JSON, under /api: a blueprint, which needs no `app` to exist."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from .db import latest_entries

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/entries")
def entries() -> ResponseReturnValue:
    return {"entries": latest_entries()}
