"""Errors under /api in JSON, for the page's script; a 503 when Redis is out of
reach; and the guard for nameless form parts."""

from __future__ import annotations

import redis
from flask import abort
from flask import current_app
from flask import Flask
from flask import request
from flask.typing import ResponseReturnValue
from kombu.exceptions import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import ServiceUnavailable

RETRY_AFTER_SECONDS = 30


def refuse_nameless_parts() -> None:
    """Answer 400 to a multipart part with no name.

    Werkzeug files such a part under the key None (pallets/werkzeug#3032), and
    Flask-WTF's CSRF check then fails on None.endswith(): a 500 without this.
    """
    if request.mimetype == "multipart/form-data" and (
        None in request.form or None in request.files
    ):
        abort(400, "Every part of a multipart form needs a name.")


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    """JSON at /api and under it, whatever the client accepts; elsewhere
    Flask's own page. A missing CSRF token (CSRFError) is a 400 like any other."""
    if request.path != "/api" and not request.path.startswith("/api/"):
        return error
    # Keep the headers the error brings (Allow on a 405, Retry-After on a 503),
    # not its HTML Content-Type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    body = {"error": error.name, "message": error.description}
    return body, error.code or 500, headers


def handle_queue_down(error: Exception) -> ResponseReturnValue:
    """Redis is unreachable or frozen: a 503 the client can retry, not a 500."""
    current_app.logger.error("The task queue is unavailable: %r", error)
    return handle_http_error(
        ServiceUnavailable(
            "The task queue is unavailable. Try again shortly.",
            retry_after=RETRY_AFTER_SECONDS,
        )
    )


def init_app(app: Flask) -> None:
    app.before_request(refuse_nameless_parts)
    app.register_error_handler(HTTPException, handle_http_error)
    # The result backend raises redis' errors (TimeoutError is no
    # ConnectionError: a frozen server); the broker raises kombu's.
    for error in (redis.ConnectionError, redis.TimeoutError, OperationalError):
        app.register_error_handler(error, handle_queue_down)
