"""Error pages in the app's layout: a stream's input is checked before it
starts, and a 400 page says what to fix."""

from __future__ import annotations

from flask import Flask
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadHost
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import SecurityError


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    if isinstance(request.routing_exception, BadHost | SecurityError):
        # No URL can be built for this Host header, so no page with links either.
        text = f"{status} {error.name}: {error.description}"
        return text, status, {"Content-Type": "text/plain; charset=utf-8"}
    # The error's own headers (Allow on a 405) go with the page, HTML as they say.
    return render_template("error.html", error=error), status, error.get_headers()


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
