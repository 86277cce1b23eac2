"""Adding a favicon: a multi-size favicon.ico, linked from every page and
answered at /favicon.ico for clients that only look there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import errors
from . import favicon
from . import views


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        MAX_CONTENT_LENGTH=1024,  # no page takes a request body
        SESSION_COOKIE_SAMESITE="Lax",
        # False: /favicon.ico answers with the file; True: it redirects to
        # /static/favicon.ico. FLASK_FAVICON_REDIRECT=true switches it.
        FAVICON_REDIRECT=False,
    )
    app.config.from_pyfile("config.py", silent=True)  # instance/config.py
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_FAVICON_REDIRECT
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(errors.MISSING_KEY)

    errors.init_app(app)
    favicon.init_app(app)
    app.register_blueprint(views.bp)
    return app
