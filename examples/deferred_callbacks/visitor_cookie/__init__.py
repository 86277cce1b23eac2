"""Deferred request callbacks: a visitor id, decided before the view and set
as a cookie on the first response, and only on that one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import errors
from . import views
from . import visitor
from .body_errors import BodyErrorsAreBadRequests

csrf = CSRFProtect()

MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        # The one form sends a CSRF token and nothing else.
        MAX_CONTENT_LENGTH=4 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, ...
    else:
        app.config.from_mapping(test_config)
    # The secret signs the flashes and the CSRF token. Unset, it is None.
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    visitor.init_app(app)
    app.register_blueprint(views.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
