"""Error pages in the app's own layout, for 404s, 405s and bad requests alike."""

from __future__ import annotations

from flask import Flask
from flask import render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    # A missing or stale CSRF token raises flask_wtf's CSRFError, a
    # BadRequest, so it lands here too and gets a page that says why.
    return render_template("sqlite3/error.html", error=error), error.code or 500


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
