"""The pages: the same form, sent by jQuery, by fetch or by XMLHttpRequest."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from flask.typing import ResponseReturnValue

from .vendor import JQUERY_VERSION

bp = Blueprint("pages", __name__)

# One page per way of calling the API: static/add_<name>.js, and its title.
VARIANTS = {"jquery": "jQuery", "fetch": "fetch()", "xhr": "XMLHttpRequest"}


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html")


@bp.get("/<any(jquery, fetch, xhr):variant>")
def adder(variant: str) -> ResponseReturnValue:
    return render_template(
        "adder.html",
        variant=variant,
        label=VARIANTS[variant],
        jquery_version=JQUERY_VERSION,
    )
