"""The JSON API beside the page: the list of planets and one planet."""

from __future__ import annotations

from dataclasses import asdict

from flask import abort
from flask import Blueprint
from flask.typing import ResponseReturnValue

from .planets import BY_SLUG
from .planets import PLANETS

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/planets")
def planet_list() -> ResponseReturnValue:
    return [{"slug": p.slug, "name": p.name, "kind": p.kind} for p in PLANETS]


@bp.get("/planets/<slug>")
def planet_detail(slug: str) -> ResponseReturnValue:
    planet = BY_SLUG.get(slug)
    if planet is None:
        abort(404, "There is no planet by that name in this guide.")
    return asdict(planet)
