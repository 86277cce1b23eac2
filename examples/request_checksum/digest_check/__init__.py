"""Request content checksums: an API that checks every body against its digest."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import api
from . import errors
from . import views
from .checksum import DigestRequest

csrf = CSRFProtect()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    # The pattern: every request's body is hashed as it is read.
    app.request_class = DigestRequest
    app.config.from_mapping(
        SECRET_KEY=None,
        # The biggest honest request is one stored file.
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
        FILES_FOLDER=os.path.join(app.instance_path, "files"),  # the stored files
    )
    app.config.from_pyfile("config.py", silent=True)  # instance/config.py
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_...
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(errors.MISSING_KEY)

    os.makedirs(app.instance_path, exist_ok=True)
    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    # The API authorises nothing with cookies, so a forged cross-site request
    # can do nothing its sender could not do directly; and the Content-Digest
    # header it requires is one a browser sends cross-site only after a CORS
    # preflight, which this app never grants.
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    return app
