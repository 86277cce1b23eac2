"""Deploying with setuptools: a reading list that installs as a distribution.

The packaging is in ../pyproject.toml; this package only has to find its own
files (templates, static, schema.sql) relative to itself, and its version in
the installed distribution's metadata.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import db
from . import errors
from . import views
from .body_errors import BodyErrorsAreBadRequests

try:
    # The version lives in one place, pyproject.toml; installing copies it
    # into the distribution's metadata, where the app reads it back.
    __version__ = version("shelf-app")
except PackageNotFoundError:  # run from a source folder that was never installed
    __version__ = "not installed"

csrf = CSRFProtect()
MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    # Installed into a virtualenv, the instance folder is <venv>/var/shelf_app-instance;
    # run from the source folder, it is instance/ beside the package.
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(  # SECRET_KEY: None, Flask's default, until one is set
        DATABASE=os.path.join(app.instance_path, "shelf.sqlite"),
        # The biggest form: a title of 200 and an author of 100 characters, 12
        # bytes each (4 in UTF-8, percent-encoded), a CSRF token: under 4 KiB.
        MAX_CONTENT_LENGTH=4 * 1024,
        # Anyone may add books, so at most BOOKS_MAX: with titles of 200 and authors
        # of 100 characters at most (CHECKs in schema.sql), 1.2 MB of text in all.
        BOOKS_MAX=1_000,
        BOOKS_PER_PAGE=20,  # the page lists this many, newest first
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_DATABASE
    else:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    os.makedirs(app.instance_path, exist_ok=True)
    app.jinja_env.globals["version"] = __version__
    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    db.init_app(app)  # also creates the table if it is missing
    app.register_blueprint(views.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
