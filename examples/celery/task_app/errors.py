"""Errors in the app's own shape: JSON at /api and under it, a page elsewhere."""

from __future__ import annotations

import redis
from flask import abort
from flask import current_app
from flask import Flask
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue
from kombu.exceptions import OperationalError
from werkzeug.exceptions import BadHost
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import SecurityError
from werkzeug.exceptions import ServiceUnavailable

MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)
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
    # A missing CSRF token (flask_wtf's CSRFError) is a BadRequest: it lands here too.
    status = error.code or 500
    # Keep the headers the error brings (Allow on a 405), not its HTML Content-Type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if request.path == "/api" or request.path.startswith("/api/"):
        return {"error": error.name, "message": error.description}, status, headers
    if isinstance(request.routing_exception, BadHost | SecurityError):
        # No URL can be built for this Host header, so no page with links either.
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return f"{status} {error.name}: {error.description}", status, headers
    return render_template("error.html", error=error), status, headers


def handle_queue_down(error: Exception) -> ResponseReturnValue:
    """Redis is unreachable or frozen: a 503 the client can retry, not a 500."""
    current_app.logger.error("The task queue is unavailable: %r", error)
    return handle_http_error(
        ServiceUnavailable("The task queue is unavailable. Try again shortly.")
    )


def init_app(app: Flask) -> None:
    app.before_request(refuse_nameless_parts)
    app.register_error_handler(HTTPException, handle_http_error)
    # The result backend raises redis' errors (TimeoutError is no
    # ConnectionError: a frozen server); the broker raises kombu's.
    for error in (redis.ConnectionError, redis.TimeoutError, OperationalError):
        app.register_error_handler(error, handle_queue_down)
