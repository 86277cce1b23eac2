"""Form validation with WTForms: a registration form with Flask-WTF."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import errors
from . import users
from . import views
from .body_errors import BodyErrorsAreBadRequests

MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)

csrf = CSRFProtect()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        # The users table lives in the instance folder, outside the source tree.
        DATABASE=os.path.join(app.instance_path, "users.sqlite"),
        # The form's five fields fit in well under 16 KiB.
        MAX_CONTENT_LENGTH=16 * 1024,
        # Anyone may register, so the table has a cap. Each row is bounded by
        # the form's limits (username 25, email 254 characters) and a hash of
        # about 160: well under 2 MB for the whole table.
        USERS_MAX=1_000,
        USERS_PER_PAGE=20,  # the members page lists this many, newest first
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_DATABASE
    else:
        app.config.from_mapping(test_config)
    # Unset, SECRET_KEY is None (Flask's default).
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    # FLASK_SECRET_KEY=12345 is read as JSON: an int is no key either.
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    os.makedirs(app.instance_path, exist_ok=True)
    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    users.init_app(app)  # also creates the table if it is missing
    app.register_blueprint(views.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
