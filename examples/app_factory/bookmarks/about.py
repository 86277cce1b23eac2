"""A JSON view of how this app sees itself and the request in front of it."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

# errors.py answers in JSON for every path under /api/.
bp = Blueprint("about", __name__, url_prefix="/api")


@bp.get("/about")
def index() -> ResponseReturnValue:
    """Config from current_app; client details as ProxyFix may have rewritten them."""
    return {
        "site_name": current_app.config["SITE_NAME"],
        "client_addr": request.remote_addr,
        "scheme": request.scheme,
        "host": request.host,
        # Carries the scheme, host and X-Forwarded-Prefix when ProxyFix trusts them.
        "url": url_for("about.index", _external=True),
    }
