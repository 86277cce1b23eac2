"""View decorators: login_required, cached and templated on a small members'
site, and a view bound to a werkzeug Rule with the endpoint decorator."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import auth
from . import db
from . import decorators
from . import errors
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
        SECRET_KEY=None,
        DATABASE=os.path.join(app.instance_path, "users.sqlite"),
        # The login form is the biggest body: a few hundred bytes.
        MAX_CONTENT_LENGTH=16 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, ...
    else:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    # FLASK_SECRET_KEY=12345 is read as JSON: an int is no key either.
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    decorators.init_app(app)  # the cache that @cached fills
    db.init_app(app)  # the users table, in the instance folder
    auth.init_app(app)  # the demo user in it
    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    views.init_app(app)  # /about: a werkzeug Rule and @app.endpoint
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
