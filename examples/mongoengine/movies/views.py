"""The pages: the list with its filters, one movie, and the form to add one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort
from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from mongoengine import ValidationError
from werkzeug.datastructures import MultiDict

from .models import add_movie
from .models import field_errors
from .models import FILTERS
from .models import filters
from .models import GENRES
from .models import get_or_404
from .models import Movie
from .models import movie_from

bp = Blueprint("movies", __name__)
FULL = "There is no room for more movies: {} at most."


@dataclass
class Page:
    """One page of the movies that the query string's filters match."""

    movies: list[Movie]
    count: int  # how many match, on all pages
    number: int
    pages: int
    prev_url: str | None
    next_url: str | None


def list_page(endpoint: str) -> Page:
    """The `?page=` of the filtered movies, or a 404 when there is no such page.

    Its links keep the filters, and url_for builds them, so they work under a
    prefix too.
    """
    found = Movie.objects(**filters(request.args))
    per_page: int = current_app.config["MOVIES_PER_PAGE"]
    count = found.count()
    pages = max(1, -(-count // per_page))  # an empty list is one empty page
    raw = request.args.get("page", "1")
    # Digits only, and few: int() of thousands of digits is a ValueError.
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0
    if not 0 < number <= pages:
        abort(404, f"There is no such page: the last is page {pages}.")
    # The filters only: other keys could be url_for's own (_external, _anchor).
    kept: dict[str, Any] = {
        k: request.args.getlist(k) for k in FILTERS if k in request.args
    }

    def url(n: int) -> str | None:
        return url_for(endpoint, **kept, page=n) if 0 < n <= pages else None

    movies = list(found.skip((number - 1) * per_page).limit(per_page))
    return Page(movies, count, number, pages, url(number - 1), url(number + 1))


@bp.get("/")
def index() -> ResponseReturnValue:
    page = list_page("movies.index")
    return render_template("index.html", page=page, genres=GENRES)


@bp.get("/movies/<movie_id>")
def show(movie_id: str) -> ResponseReturnValue:
    return render_template("movie.html", movie=get_or_404(movie_id))


@bp.route("/movies/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("form.html", genres=GENRES, errors={})
    limit = current_app.config["MOVIES_MAX"]
    try:
        movie = movie_from(form_as_json(request.form))
        added = add_movie(movie, limit)  # validates first: a wrong field stores nothing
    except ValidationError as error:
        errors = field_errors(error)
        return render_template("form.html", genres=GENRES, errors=errors), 400
    if not added:
        errors = {"movie": FULL.format(limit)}
        return render_template("form.html", genres=GENRES, errors=errors), 409
    flash(f"Added “{movie.title}”.")
    return redirect(url_for("movies.show", movie_id=movie.id), 303)


def form_as_json(form: MultiDict[str, str]) -> dict[str, Any]:
    """The form in the API's JSON shape: blanks left out, actors split at commas.

    Numbers stay text: MongoEngine converts "1985" and names what it cannot.
    """

    def text(name: str) -> str | None:
        return form.get(name, "").strip() or None

    imdb = {name: text(f"imdb.{name}") for name in ("imdb_id", "rating", "votes")}
    return {
        "title": text("title"),
        "year": text("year"),
        "genres": form.getlist("genres"),
        "director": text("director"),
        "actors": [a.strip() for a in form.get("actors", "").split(",") if a.strip()],
        "imdb": imdb if any(imdb.values()) else None,
    }
