"""Errors at /api and under it, in any case, in JSON (the API's shape); else Flask's."""

from __future__ import annotations

from flask import Flask
from flask import request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    if request.path.split("/")[1].lower() != "api":  # /API/x too, as in shell.py
        return error  # Flask's own page: a missing file needs no other
    # Keep what the error says in its headers (Allow on a 405), not its HTML type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    body = {"error": error.name, "message": error.description}
    return body, error.code or 500, headers


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
