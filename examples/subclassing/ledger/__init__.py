"""Subclassing Flask: an expenses ledger on a Flask with its own request,
response and JSON classes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import db
from . import errors
from . import views
from .body_errors import BodyErrorsAreBadRequests
from .custom import LedgerFlask

csrf = CSRFProtect()
MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    # The pattern: the subclass, used exactly where Flask would be.
    app = LedgerFlask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        DATABASE=os.path.join(app.instance_path, "ledger.sqlite"),
        # An expense is four short fields: 16 KiB holds any form or JSON body.
        MAX_CONTENT_LENGTH=16 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_...
    else:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    os.makedirs(app.instance_path, exist_ok=True)
    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    # The JSON API reads only application/json bodies, which another site's
    # page can send only after a CORS preflight that this app never grants.
    csrf.exempt(views.api_add)
    db.init_app(app)
    app.register_blueprint(views.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
