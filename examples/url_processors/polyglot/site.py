"""The app-level form: URL processors registered on the app itself.

They serve the routes registered on the app (home and about). The phrasebook
is a blueprint with processors of its own (phrases.py), so the preprocessor
here leaves its requests to them.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask import Flask
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from .languages import activate
from .languages import current_language
from .languages import LANGUAGES


def add_language_code(endpoint: str, values: dict[str, Any]) -> None:
    """Fill in lang_code when url_for() builds a URL that needs one."""
    if "lang_code" in values:
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
        values["lang_code"] = current_language()


def pull_language_code(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Take lang_code out of the matched URL, so no view needs the argument."""
    # App-level preprocessors run for every request, before a blueprint's own:
    # the phrasebook's lang_code is left to phrases.py.
    if values is None or request.blueprint is not None or "lang_code" not in values:
        return
    activate(values.pop("lang_code"))  # 404 for a language the site lacks


def init_app(app: Flask) -> None:
    app.url_defaults(add_language_code)
    app.url_value_preprocessor(pull_language_code)
    app.add_url_rule("/", view_func=choose_language)
    app.add_url_rule("/<lang_code>/", view_func=home)
    app.add_url_rule("/<lang_code>/about", view_func=about)


def choose_language() -> ResponseReturnValue:
    """Send the visitor to the home page in the language their browser asks for;
    if it asks for none that the site has, let them choose."""
    lang_code = request.accept_languages.best_match(LANGUAGES)
    response = (
        # 302, chosen on purpose: temporary (another browser gets another
        # language), and Flask 3.2 changes redirect()'s default to 303.
        # No lang_code here: the URL default adds this same best match.
        redirect(url_for("home"), 302)
        if lang_code
        else make_response(render_template("choose.html"))
    )
    # The answer depends on this header: caches must not give one visitor's
    # answer to another.
    response.vary.add("Accept-Language")
    return response


def home() -> ResponseReturnValue:
    return render_template("home.html")


def about() -> ResponseReturnValue:
    return render_template("about.html")
