"""Using SQLite 3 with Flask: a notes app with one connection per request."""

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

csrf = CSRFProtect()
MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        # Data lives in the instance folder, outside the source tree.
        DATABASE=os.path.join(app.instance_path, "notes.sqlite"),
        # A note is at most 10,000 characters: a quarter MiB holds any form.
        MAX_CONTENT_LENGTH=256 * 1024,
        # Anyone can write a note, so the table has a cap. Every text field
        # has a length limit (title 200, body 10,000 characters: a CHECK in
        # schema.sql), so the cap bounds the bytes too: under 41 MB in UTF-8.
        NOTES_MAX=1000,
        NOTES_PER_PAGE=20,  # the list shows this many, newest first
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_DATABASE
    else:
        app.config.from_mapping(test_config)
    # The secret signs the flashes and the CSRF tokens. Unset, it is None.
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    os.makedirs(app.instance_path, exist_ok=True)
    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    db.init_app(app)  # also creates the tables if they are missing
    app.register_blueprint(views.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
