"""The same movies as JSON under /api/, where errors.py answers in JSON too."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import Blueprint
from flask import current_app
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from mongoengine import ValidationError

from .models import add_movie
from .models import field_errors
from .models import get_or_404
from .models import Movie
from .models import movie_from
from .views import FULL
from .views import list_page

bp = Blueprint("api", __name__, url_prefix="/api")


def as_json(movie: Movie) -> dict[str, Any]:
    imdb = movie.imdb
    return {
        "id": str(movie.id),
        "url": url_for("api.movie", movie_id=movie.id),
        "title": movie.title,
        "year": movie.year,
        "genres": list(movie.genres),
        "director": movie.director,
        "actors": list(movie.actors),
        "imdb": imdb and {f: getattr(imdb, f) for f in ("imdb_id", "rating", "votes")},
    }


@bp.get("/movies")
def movies() -> ResponseReturnValue:
    page = list_page("api.movies")
    return {
        "count": page.count,
        "page": page.number,
        "pages": page.pages,
        "prev": page.prev_url,
        "next": page.next_url,
        "movies": [as_json(m) for m in page.movies],
    }


@bp.post("/movies")
def create() -> ResponseReturnValue:
    body = request.get_data()  # first: a body over MAX_CONTENT_LENGTH is a 413
    if not request.is_json:
        abort(415, "Send the movie as JSON, with Content-Type: application/json.")
    try:
        # Not get_json(), which says only "Bad Request" about what it refuses:
        # broken JSON, or NaN, Infinity and 1e1000000 (app.json, finite_json.py).
        data = current_app.json.loads(body)
    except RecursionError:  # [[[[...: nested too deep for Python's parser
        abort(400, "The body is not valid JSON: it is nested too deeply.")
    except ValueError as error:
        abort(400, f"The body is not valid JSON: {error}.")
    if not isinstance(data, dict):
        abort(400, "Send the movie as a JSON object.")
    limit = current_app.config["MOVIES_MAX"]
    try:
        movie = movie_from(data)
        added = add_movie(movie, limit)
    except ValidationError as error:
        return {
            "error": "Bad Request",
            "message": "The movie is not valid: see fields.",
            "fields": field_errors(error),
        }, 400
    if not added:
        abort(409, FULL.format(limit))
    created = as_json(movie)
    return created, 201, {"Location": created["url"]}


@bp.get("/movies/<movie_id>")
def movie(movie_id: str) -> ResponseReturnValue:
    return as_json(get_or_404(movie_id))
