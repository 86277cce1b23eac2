"""Application factory: build the app in a function, so any number can coexist."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from . import about
from . import errors
from . import views
from .body_errors import BodyErrorsAreBadRequests
from .models import create_tables
from .models import db

# Extensions are created once, unbound; each app binds them with init_app.
csrf = CSRFProtect()
MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


def create_app(
    test_config: Mapping[str, Any] | None = None, *, trusted_proxies: int = 0
) -> Flask:
    """A configured bookmarks app, behind `trusted_proxies` reverse proxies."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SITE_NAME="Bookmarks",
        BOOKMARKS_PER_PAGE=10,
        BOOKMARKS_MAX=1_000,  # anyone may add; at 2,200 characters each: under 9 MB
        # The biggest form: a URL and a title at their limits, 12 bytes a
        # character (4 in UTF-8, percent-encoded), a CSRF token: under 32 KiB.
        MAX_CONTENT_LENGTH=32 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
        # A relative SQLite path is in the instance folder (Flask-SQLAlchemy).
        SQLALCHEMY_DATABASE_URI="sqlite:///bookmarks.sqlite",
    )
    if test_config is None:
        # Deployed: instance/config.py, then FLASK_* variables over it. Tested:
        # the test's config alone, so nothing set on the machine changes a test.
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SITE_NAME, FLASK_SECRET_KEY, ...
    else:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)
    os.makedirs(app.instance_path, exist_ok=True)

    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    db.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        create_tables()
    app.register_blueprint(views.bp)
    app.register_blueprint(about.bp)

    # Middleware wraps the WSGI callable, so it belongs in the factory too. Off
    # by default: with no proxy in front, any client could forge X-Forwarded-*.
    if trusted_proxies > 0:
        n = trusted_proxies  # trust the X-Forwarded-* values of the last n hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n
        )
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
