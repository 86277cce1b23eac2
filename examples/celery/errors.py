"""Errors as JSON for API clients, as a short page for browsers."""

from __future__ import annotations

from flask import Flask
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    wants = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if wants == "text/html":
        return render_template("celery/error.html", error=error), status
    return {"error": error.name, "message": error.description}, status


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
