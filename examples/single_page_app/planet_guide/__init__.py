"""Single-page application: a client-routed planet guide behind a catch-all route."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import api
from . import errors
from . import shell


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    if test_config is not None:
        app.config.from_mapping(test_config)

    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(shell.bp)  # its catch-all matches what nothing else does
    return app
