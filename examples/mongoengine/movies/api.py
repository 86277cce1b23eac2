"""The same movies as JSON under /api/, where errors.py answers in JSON too."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import Blueprint
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from mongoengine import ValidationError

from .models import field_errors
from .models import filters
from .models import get_or_404
from .models import Movie
from .models import movie_from
from .views import LIST_MAX

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
    found = Movie.objects(**filters(request.args))
    return {"count": found.count(), "movies": [as_json(m) for m in found[:LIST_MAX]]}


@bp.post("/movies")
def create() -> ResponseReturnValue:
    request.get_data()  # first: a body over MAX_CONTENT_LENGTH is a 413, of any type
    try:
        data = request.get_json()  # a 415 unless the body is JSON, a 400 if broken
    except RecursionError:  # [[[[...: nested too deep for Python's parser
        abort(400, "The body is not valid JSON: it is nested too deeply.")
    if not isinstance(data, dict):
        abort(400, "Send the movie as a JSON object.")
    try:
        movie = movie_from(data)
        movie.save()
    except ValidationError as error:
        return {
            "error": "Bad Request",
            "message": "The movie is not valid: see fields.",
            "fields": field_errors(error),
        }, 400
    body = as_json(movie)
    return body, 201, {"Location": body["url"]}


@bp.get("/movies/<movie_id>")
def movie(movie_id: str) -> ResponseReturnValue:
    return as_json(get_or_404(movie_id))
