"""The languages the site speaks, a tiny translation table, and the helpers
that both forms of the pattern (site.py and phrases.py) share."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import current_app
from flask import Flask
from flask import g
from flask import request
from flask import url_for

LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français"}
DEFAULT_LANGUAGE = "en"

TRANSLATIONS: dict[str, dict[str, str]] = {
    "en": {
        "home": "Home",
        "about": "About",
        "phrases": "Phrasebook",
        "welcome": "Welcome",
        "intro": "This site speaks three languages. Its language is the first "
        "part of every address, and every link keeps it.",
        "about_text": "No link on this site names a language: a URL default "
        "adds the one you are reading.",
        "other_languages": "Also in",
        "greetings": "Greetings",
        "food": "Food",
    },
    "de": {
        "home": "Start",
        "about": "Über",
        "phrases": "Sprachführer",
        "welcome": "Willkommen",
        "intro": "Diese Seite spricht drei Sprachen. Die Sprache ist der erste "
        "Teil jeder Adresse, und jeder Link behält sie bei.",
        "about_text": "Kein Link auf dieser Seite nennt eine Sprache: ein "
        "URL-Standardwert fügt die ein, die Sie gerade lesen.",
        "other_languages": "Auch auf",
        "greetings": "Begrüßungen",
        "food": "Essen",
    },
    "fr": {
        "home": "Accueil",
        "about": "À propos",
        "phrases": "Guide de conversation",
        "welcome": "Bienvenue",
        "intro": "Ce site parle trois langues. La langue est la première partie "
        "de chaque adresse, et chaque lien la garde.",
        "about_text": "Aucun lien de ce site ne nomme de langue : une valeur par "
        "défaut d'URL ajoute celle que vous lisez.",
        "other_languages": "Aussi en",
        "greetings": "Salutations",
        "food": "Nourriture",
    },
}


def activate(lang_code: str | None) -> None:
    """Make lang_code this request's language, or answer 404 if the site lacks it."""
    if lang_code not in LANGUAGES:
        names = ", ".join(LANGUAGES.values())
        abort(404, f"This site has no pages in “{lang_code}”. It speaks {names}.")
    g.lang_code = lang_code


def current_language() -> str:
    """The language from the URL; on a page with none (an error page), the
    visitor's best match, so its links still have a language to use."""
    if "lang_code" in g:
        return str(g.lang_code)
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def translate(key: str) -> str:
    return TRANSLATIONS[current_language()][key]


def switch_url(lang_code: str) -> str:
    """This page in another language, or the home page in it where this page
    has no language in its URL (no route matched, or the language chooser)."""
    endpoint = request.endpoint
    url_map = current_app.url_map
    if endpoint is None or not url_map.is_endpoint_expecting(endpoint, "lang_code"):
        return url_for("home", lang_code=lang_code)
    # view_args no longer hold lang_code (a preprocessor took it out): keep the
    # page's other values (a topic, say) and set only the language.
    return url_for(endpoint, **{**(request.view_args or {}), "lang_code": lang_code})


def template_helpers() -> dict[str, Any]:
    return {
        "lang_code": current_language(),
        "languages": LANGUAGES,
        "t": translate,
        "switch_url": switch_url,
    }


def init_app(app: Flask) -> None:
    app.context_processor(template_helpers)
