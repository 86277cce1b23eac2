"""Uploading files: a file drop that stores uploads safely and serves them back."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

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
        # Uploads are data: in the instance folder, never in the source tree.
        UPLOAD_FOLDER=os.path.join(app.instance_path, "uploads"),
        # The whole request body: one file plus a few hundred bytes of form.
        # A larger body is answered 413 before anything is parsed or saved.
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        # Flask 3.1: the largest text field held in memory. The only text
        # field is the CSRF token, but Werkzeug checks this limit against each
        # 64 KiB chunk it reads, file data included: set it at or below 64 KiB
        # and files larger than that are refused.
        MAX_FORM_MEMORY_SIZE=128 * 1024,
        # Flask 3.1: how many parts a multipart body may have; the form sends 2.
        MAX_FORM_PARTS=10,
        # What the drop keeps in all, for anyone who can load the form: an
        # upload past either cap is refused (409), and nothing of it is kept.
        UPLOAD_MAX_FILES=1000,
        UPLOAD_MAX_BYTES=1024 * 1024 * 1024,
        UPLOADS_PER_PAGE=20,  # the list shows this many, newest first
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_UPLOAD_FOLDER, ...
    else:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    # FLASK_SECRET_KEY=12345 is read as JSON: an int is no key either.
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    app.register_blueprint(views.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
