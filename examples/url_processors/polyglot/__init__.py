"""Using URL processors: one site in English, German and French, the language
code first in every URL and never passed around by hand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import errors
from . import languages
from . import phrases
from . import site


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        # Every page is a GET; no request has a body worth more than this.
        MAX_CONTENT_LENGTH=1024,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_...
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(errors.MISSING_KEY)

    errors.init_app(app)
    languages.init_app(app)  # the translation helpers the templates use
    site.init_app(app)  # the app-level form: home and about
    app.register_blueprint(phrases.bp)  # the blueprint form: the phrasebook
    return app
