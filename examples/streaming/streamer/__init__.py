"""Streaming contents: a large CSV, a template and a greeting, sent piece by piece."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import errors
from . import views

MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SESSION_COOKIE_SAMESITE="Lax",
        # Seconds between the timeline's events, to watch the page arrive.
        TIMELINE_DELAY=0.1,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_TIMELINE_DELAY
    else:
        app.config.from_mapping(test_config)
    # The secret signs the session that the greeting counts in. Unset, it is None.
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    errors.init_app(app)
    app.register_blueprint(views.bp)
    return app
