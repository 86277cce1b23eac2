"""Template inheritance: a tea guide whose pages extend one layout, some through two."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import errors
from . import views


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    # Nothing to configure: the guide stores nothing, signs nothing and reads
    # no request body, so it needs no secret key, no instance folder, no limit.
    app = Flask(__name__)
    if test_config is not None:
        app.config.from_mapping(test_config)
    errors.init_app(app)
    app.register_blueprint(views.bp)
    return app
