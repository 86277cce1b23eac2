"""The pages: the list with its filters, one movie, and the form to add one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from mongoengine import ValidationError
from werkzeug.datastructures import MultiDict

from .models import field_errors
from .models import filters
from .models import GENRES
from .models import get_or_404
from .models import Movie
from .models import movie_from

bp = Blueprint("movies", __name__)
LIST_MAX = 50  # movies on one page: the count says how many more match


@bp.get("/")
def index() -> ResponseReturnValue:
    found = Movie.objects(**filters(request.args))
    return render_template(
        "index.html", movies=found[:LIST_MAX], count=found.count(), genres=GENRES
    )


@bp.get("/movies/<movie_id>")
def show(movie_id: str) -> ResponseReturnValue:
    return render_template("movie.html", movie=get_or_404(movie_id))


@bp.route("/movies/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("form.html", genres=GENRES, errors={})
    try:
        movie = movie_from(form_as_json(request.form))
        movie.save()  # validates first, and stores nothing when a field is wrong
    except ValidationError as error:
        errors = field_errors(error)
        return render_template("form.html", genres=GENRES, errors=errors), 400
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
