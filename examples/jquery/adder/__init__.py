"""AJAX three ways: one JSON API, called by jQuery, fetch and XMLHttpRequest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException

from . import api
from . import pages
from . import vendor
from .body_errors import BodyErrorsAreBadRequests


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    # The biggest honest request is two numbers in JSON: 1 KiB is plenty.
    app.config.from_mapping(MAX_CONTENT_LENGTH=1024)
    if test_config is not None:
        app.config.from_mapping(test_config)

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    # On the app, not the blueprint: a blueprint's handlers never see a URL
    # that matched none of its routes (/api/subtract).
    app.register_error_handler(HTTPException, api.json_error)
    app.register_blueprint(vendor.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
