"""Error pages in the app's shape: JSON under /api/, HTML everywhere else."""

from __future__ import annotations

from flask import Flask
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from . import about


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    # Decided by path, not by blueprint: a 404 or 405 is raised while routing,
    # before any blueprint has been chosen.
    if request.path.startswith(f"{about.bp.url_prefix}/"):
        return {"error": error.name, "message": error.description}, status
    return render_template("app_factory/error.html", error=error), status


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
