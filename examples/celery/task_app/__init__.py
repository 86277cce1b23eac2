"""Background tasks with Celery: start a task, return at once, poll for its result."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from kombu import Queue

from . import errors
from . import views
from .body_errors import BodyErrorsAreBadRequests
from .celery_app import celery_init_app

csrf = CSRFProtect()
MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)
# Seconds to wait on Redis before giving up with a 503: a frozen server must
# not hold a request (or a worker) for minutes.
REDIS_TIMEOUT = 3


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    # Redis is broker and result backend. `make run` and the tests start a
    # private Redis and set REDIS_URL; a deployment sets it to its own server.
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    app.config.from_mapping(
        SECONDS_PER_ITEM=0.5,  # how slow the `process` task is
        # The forms send a number or two and a CSRF token, as multipart from
        # tasks.js: well under 1 KiB with the parts' headers.
        MAX_CONTENT_LENGTH=4 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
        # Tasks queued or running at once, per session and for everyone
        # together: past either, a start is refused with a 429 (limits.py).
        MAX_TASKS_PER_SESSION=5,
        MAX_TASKS=20,
        CELERY={
            "broker_url": redis_url,
            "result_backend": redis_url,
            # Store results only for tasks that ask for them (ignore_result=False).
            "task_ignore_result": True,
            "task_track_started": True,
            # Short tasks have a queue of their own, so a worker started with
            # `-Q short` runs them while long ones keep another worker busy. A
            # worker started without -Q takes from both queues.
            "task_queues": [Queue("long"), Queue("short")],
            "task_default_queue": "long",
            "task_routes": {
                "task_app.add": {"queue": "short"},
                "task_app.divide": {"queue": "short"},
            },
            # Acknowledge a task when it has finished, not when it arrives, so a
            # worker killed mid-task leaves it in Redis for another worker...
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            # ...and reserve one task at a time, so that a dead worker strands
            # only the task it was running, not a batch of prefetched ones.
            "worker_prefetch_multiplier": 1,
            "broker_transport_options": {
                # A task unacknowledged this long is handed out again. Keep it
                # longer than your slowest task, or that task runs twice.
                "visibility_timeout": 3600,
                "socket_timeout": REDIS_TIMEOUT,
                "socket_connect_timeout": REDIS_TIMEOUT,
            },
            # Sending a task tries once more, at once, if the first try fails
            # (a connection Redis dropped while idle): Celery's default of
            # three more tries would hold a request for four timeouts.
            "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0},
            "redis_socket_timeout": REDIS_TIMEOUT,
            "redis_socket_connect_timeout": REDIS_TIMEOUT,
            "result_expires": 24 * 3600,
            "broker_connection_retry_on_startup": True,
        },
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        # FLASK_SECRET_KEY, and nested values too:
        # FLASK_CELERY__broker_transport_options__visibility_timeout=600
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    celery_init_app(app)
    csrf.init_app(app)
    app.register_blueprint(views.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
