"""Lazily loading views: a central URL map whose views are imported on first use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import errors
from . import urls


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        # Every page is a GET; no request has a body worth more than this.
        MAX_CONTENT_LENGTH=1024,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_...
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(errors.MISSING_KEY)

    # Request hooks and error handlers are imported up front, never lazily:
    # they must be in place before the first request, not during it.
    errors.init_app(app)
    urls.init_app(app)
    return app
