"""The guide's pages. Each view only names a template: the layouts do the rest.

base.html                   the site: <head>, header, footer
├── home.html               one level down
├── error.html
└── guides/layout.html      the guides section: contents and heading
    ├── guides/index.html   two levels down
    └── guides/<slug>.html
"""

from __future__ import annotations

from flask import abort
from flask import Blueprint
from flask import render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("guide", __name__)

# The guides in reading order, slug -> title. Only these slugs name a
# template: a URL can never make the app render a layout or a partial.
GUIDES = {"brewing": "Brewing", "water": "Water", "storage": "Storage"}


@bp.context_processor
def guide_list() -> dict[str, dict[str, str]]:
    """The contents that guides/layout.html includes on every guide page."""
    return {"guides": GUIDES}


@bp.get("/")
def home() -> ResponseReturnValue:
    return render_template("home.html")


@bp.get("/guides/")
def contents() -> ResponseReturnValue:
    return render_template("guides/index.html")


@bp.get("/guides/<slug>")
def page(slug: str) -> ResponseReturnValue:
    if slug not in GUIDES:
        abort(404, "There is no guide by that name.")
    return render_template(f"guides/{slug}.html")
