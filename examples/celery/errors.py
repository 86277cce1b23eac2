"""Errors as JSON for API clients, as a short page for browsers."""

from __future__ import annotations

import redis
from flask import current_app
from flask import Flask
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue
from kombu.exceptions import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import ServiceUnavailable

RETRY_AFTER_SECONDS = 30


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}
    wants = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if wants == "text/html":
        return render_template("celery/error.html", error=error), status, headers
    return {"error": error.name, "message": error.description}, status, headers


def handle_queue_down(error: Exception) -> ResponseReturnValue:
    """Redis is unreachable: a 503 the client can retry, not a 500."""
    current_app.logger.error("The task queue is unreachable: %s", error)
    return handle_http_error(
        ServiceUnavailable("The task queue is unavailable. Try again shortly.")
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    # Redis as result backend raises redis' error; as broker, kombu's.
    app.register_error_handler(redis.ConnectionError, handle_queue_down)
    app.register_error_handler(OperationalError, handle_queue_down)
