"""AJAX three ways: one JSON API, called by jQuery, fetch and XMLHttpRequest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import api
from . import errors
from . import pages
from . import vendor

csrf = CSRFProtect()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        # The biggest honest request is two numbers in JSON: 1 KiB is plenty.
        MAX_CONTENT_LENGTH=1024,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.from_pyfile("config.py", silent=True)  # instance/config.py
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_...
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(errors.MISSING_KEY)

    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    # The API is not exempt: the pages send the token in an X-CSRFToken header.
    csrf.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(vendor.bp)
    return app
