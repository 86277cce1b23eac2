"""Request content checksums: an API that checks every body against its digest."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import api
from . import errors
from . import views
from .body_errors import BodyErrorsAreBadRequests
from .checksum import DigestRequest
from .finite_json import FiniteJSONProvider


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    # The pattern: every request's body is hashed as it is read.
    app.request_class = DigestRequest
    app.json = FiniteJSONProvider(app)  # NaN or 1e999 in a JSON body: a 400
    app.config.from_mapping(
        # The biggest honest request is one stored file.
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        FILES_FOLDER=os.path.join(app.instance_path, "files"),  # the stored files
        # The store is a demo: it stops growing here.
        FILES_MAX=100,
        FILES_MAX_BYTES=64 * 1024 * 1024,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_MAX_CONTENT_LENGTH, ...
    else:
        app.config.from_mapping(test_config)

    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
