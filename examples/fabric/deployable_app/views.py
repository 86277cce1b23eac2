"""What the deployed app serves: a page and a health check for `fab deploy`."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("site", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html")


@bp.get("/api/health")
def health() -> ResponseReturnValue:
    """`fab deploy` asks the new release this before it goes live."""
    return {"status": "ok", "version": current_app.config["VERSION"]}
