"""Adding a favicon: a multi-size favicon.ico, linked from every page and
answered at /favicon.ico for clients that only look there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import favicon
from . import views


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    # No instance folder: the app stores nothing, and its one setting comes
    # from the environment.
    app = Flask(__name__)
    app.config.from_mapping(
        # False: /favicon.ico answers with the file; True: it redirects to
        # /static/favicon.ico.
        FAVICON_REDIRECT=False,
    )
    if test_config is None:
        app.config.from_prefixed_env()  # FLASK_FAVICON_REDIRECT=true
    else:
        app.config.from_mapping(test_config)

    favicon.init_app(app)
    app.register_blueprint(views.bp)
    return app
