"""The site's own error pages: a 404 for a language it lacks names the ones it has."""

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
    # Keep what the error says in its headers (Allow on a 405).
    headers = dict(error.get_headers())
    if isinstance(request.routing_exception, BadHost | SecurityError):
        # No URL can be built for this Host header, so no page with links either.
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return f"{status} {error.name}: {error.description}", status, headers
    return render_template("error.html", error=error), status, headers


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
