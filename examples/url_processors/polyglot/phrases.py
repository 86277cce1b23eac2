"""The blueprint form: every URL of the phrasebook starts with its language.

url_prefix="/<lang_code>" puts the code in front of each route, and the
blueprint's own processors run only for its endpoints, so they need no check
for whether an endpoint takes a lang_code: all of them do.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import Blueprint
from flask import render_template
from flask.typing import ResponseReturnValue

from .languages import activate
from .languages import current_language

bp = Blueprint("phrases", __name__, url_prefix="/<lang_code>")


@bp.url_defaults
def add_language_code(endpoint: str, values: dict[str, Any]) -> None:
    values.setdefault("lang_code", current_language())


@bp.url_value_preprocessor
def pull_language_code(endpoint: str | None, values: dict[str, Any] | None) -> None:
    assert values is not None  # a matched URL: lang_code is in its url_prefix
    activate(values.pop("lang_code"))


PHRASES: dict[str, dict[str, list[str]]] = {
    "greetings": {
        "en": ["Hello", "Good morning", "Goodbye", "See you soon"],
        "de": ["Hallo", "Guten Morgen", "Auf Wiedersehen", "Bis bald"],
        "fr": ["Bonjour", "Bonjour (le matin)", "Au revoir", "À bientôt"],
    },
    "food": {
        "en": ["The menu, please", "Water, please", "The bill, please"],
        "de": ["Die Speisekarte, bitte", "Wasser, bitte", "Die Rechnung, bitte"],
        "fr": ["La carte, s'il vous plaît", "De l'eau, s'il vous plaît",
               "L'addition, s'il vous plaît"],
    },
}  # fmt: skip


@bp.get("/phrases/")
def index() -> ResponseReturnValue:
    return render_template("phrases.html", topics=PHRASES)


@bp.get("/phrases/<topic>")
def topic(topic: str) -> ResponseReturnValue:
    if topic not in PHRASES:
        abort(404, f"The phrasebook has no topic “{topic}”.")
    return render_template(
        "topic.html", topic=topic, phrases=PHRASES[topic][current_language()]
    )
