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
    # No config of its own: the site signs nothing, stores nothing, reads no body.
    app = Flask(__name__)
    if test_config is not None:
        app.config.from_mapping(test_config)

    errors.init_app(app)
    languages.init_app(app)  # the translation helpers the templates use
    site.init_app(app)  # the app-level form: home and about
    app.register_blueprint(phrases.bp)  # the blueprint form: the phrasebook
    return app
