"""Lazily loading views: a central URL map whose views are imported on first use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import urls


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    # Nothing to configure: no secret (it signs nothing), no body limit (every
    # page is a GET), no instance folder (it stores nothing).
    app = Flask(__name__)
    if test_config is not None:
        app.config.from_mapping(test_config)
    # The URL map imports no view. Request hooks and error handlers would be
    # registered here too, never in a lazily loaded module: Flask refuses
    # new ones once the app has served its first request.
    urls.init_app(app)
    return app
