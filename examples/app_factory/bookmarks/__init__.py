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
from .models import create_tables
from .models import db

# Extensions are created once, unbound; each app binds them with init_app.
csrf = CSRFProtect()


def create_app(
    test_config: Mapping[str, Any] | None = None, *, trusted_proxies: int = 0
) -> Flask:
    """Build a configured bookmarks app.

    `trusted_proxies` is how many reverse proxies sit in front of the app; the
    command line passes it as
    `flask --app 'bookmarks:create_app(trusted_proxies=1)' run`.
    """
    app = Flask(__name__, instance_relative_config=True)
    # Lowest precedence first: each later source overrides the ones above it.
    app.config.from_mapping(
        SECRET_KEY=None,
        SITE_NAME="Bookmarks",
        BOOKMARKS_PER_PAGE=10,
        # A bookmark is a URL and a title: 64 KiB is far more than any form needs.
        MAX_CONTENT_LENGTH=64 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
        SQLALCHEMY_DATABASE_URI="sqlite:///"
        + os.path.join(app.instance_path, "bookmarks.sqlite"),
    )
    app.config.from_pyfile("config.py", silent=True)  # instance/config.py
    app.config.from_prefixed_env()  # FLASK_SITE_NAME, FLASK_SECRET_KEY, ...
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(errors.MISSING_KEY)
    os.makedirs(app.instance_path, exist_ok=True)

    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    db.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        create_tables()
    app.register_blueprint(views.bp)
    app.register_blueprint(about.bp)

    # Middleware wraps the WSGI callable, so it too belongs in the factory.
    # ProxyFix believes the X-Forwarded-* headers of the last `trusted_proxies`
    # hops. Leave it off unless that many proxies really sit in front and set
    # those headers: otherwise any client could forge its address, scheme, host
    # and URL prefix just by sending the headers itself.
    if trusted_proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=trusted_proxies,
            x_proto=trusted_proxies,
            x_host=trusted_proxies,
            x_prefix=trusted_proxies,
        )
    return app
