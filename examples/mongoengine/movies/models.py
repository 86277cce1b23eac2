"""The documents, and the queries the pages and the API share."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from contextlib import suppress
from typing import Any
from typing import ClassVar

from flask import abort
from mongoengine import Document
from mongoengine import EmbeddedDocument
from mongoengine import EmbeddedDocumentField
from mongoengine import FloatField
from mongoengine import IntField
from mongoengine import ListField
from mongoengine import NotUniqueError
from mongoengine import StringField
from mongoengine import ValidationError
from werkzeug.datastructures import MultiDict

GENRES = (
    "Adventure", "Animation", "Comedy", "Crime", "Drama", "Fantasy", "Horror",
    "Romance", "Science fiction", "Thriller",
)  # fmt: skip
FIRST_YEAR, LAST_YEAR = 1888, 2100


def finite(value: object) -> None:
    # NaN passes every min/max comparison, and JSON cannot carry it back.
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("Must be a finite number.")


class Imdb(EmbeddedDocument):  # type: ignore[misc]  # MongoEngine has no types
    """Stored inside its movie, not in a collection of its own: one read
    fetches both, and a filter can reach into it (imdb__rating__gte)."""

    imdb_id = StringField(regex=r"^tt\d{7,8}$")
    rating = FloatField(min_value=0, max_value=10, validation=finite)
    votes = IntField(min_value=0, max_value=10**10)  # BSON stops at 2**63


class Movie(Document):  # type: ignore[misc]
    title = StringField(required=True, min_length=1, max_length=200)
    year = IntField(required=True, min_value=FIRST_YEAR, max_value=LAST_YEAR)
    genres = ListField(StringField(choices=GENRES), max_length=len(GENRES))
    director = StringField(max_length=100)
    actors = ListField(StringField(min_length=1, max_length=100), max_length=20)
    imdb = EmbeddedDocumentField(Imdb)

    meta: ClassVar[dict[str, Any]] = {
        "db_alias": "movies",  # the connection db.py opens
        "indexes": ["-year", "genres", "imdb.rating"],  # what the filters use
        "ordering": ["-year", "title", "id"],  # id: one order, for the pages
    }


class Counter(Document):  # type: ignore[misc]
    """How many movies are stored, in one document (its id: "movies")."""

    id = StringField(primary_key=True)
    taken = IntField(required=True)  # no min_value: it would refuse dec__taken=1

    meta: ClassVar[dict[str, Any]] = {"db_alias": "movies"}


def add_movie(movie: Movie, limit: int) -> bool:
    """Store a new movie unless `limit` are stored already: False then.

    Counting the movies before inserting would let two requests both see the
    last place free. Here a place is taken by one conditional update of the
    counter ($inc where taken < limit), which MongoDB applies atomically
    whichever process sends it: of two requests racing for the last place,
    only one matches.
    """
    movie.validate()  # a movie that cannot be stored takes no place
    counter = Counter.objects(id="movies")
    if not counter(taken__lt=limit).update_one(inc__taken=1):
        # Full, or no counter yet (a new database, or movies stored before
        # it): start it from the movies stored, and try once more.
        with suppress(NotUniqueError):  # another request started it just now
            counter.update_one(set_on_insert__taken=Movie.objects.count(), upsert=True)
        if not counter(taken__lt=limit).update_one(inc__taken=1):
            return False
    try:
        movie.save(validate=False)
    except BaseException:
        counter.update_one(dec__taken=1)  # the movie was not stored: free its place
        raise
    return True


OBJECT_ID = re.compile(r"[0-9a-fA-F]{24}")


def get_or_404(movie_id: str) -> Movie:
    """The movie, or a 404 in the app's own shape."""
    # A malformed id names no movie either; unchecked, MongoEngine would raise
    # ValidationError for it (a 500).
    movie: Movie | None = None
    if OBJECT_ID.fullmatch(movie_id):
        movie = Movie.objects(id=movie_id).first()
    if movie is None:
        abort(404, "There is no movie with that id.")
    return movie


FILTERS = ("q", "genre", "year_from", "year_to", "min_rating")  # what filters() reads


def filters(args: MultiDict[str, str]) -> dict[str, Any]:
    """The query string as MongoEngine filters, or a 400 that names the bad one.

    ?genre=Drama&genre=Comedy&year_from=1980&year_to=1999&min_rating=8&q=back
    """
    query: dict[str, Any] = {}
    if text := args.get("q", "").strip():
        if len(text) > 100:
            abort(400, "Keep the title search to 100 characters.")
        query["title__icontains"] = text  # MongoEngine escapes it: no user regex
    if genres := args.getlist("genre"):
        if not set(genres) <= set(GENRES):
            abort(400, f"Choose genres from: {', '.join(GENRES)}.")
        query["genres__in"] = genres  # a movie with any of them
    if (year := number(args, "year_from", int, FIRST_YEAR, LAST_YEAR)) is not None:
        query["year__gte"] = year
    if (year := number(args, "year_to", int, FIRST_YEAR, LAST_YEAR)) is not None:
        query["year__lte"] = year
    if (rating := number(args, "min_rating", float, 0, 10)) is not None:
        query["imdb__rating__gte"] = rating  # a field of the embedded document
    return query


def number(
    args: MultiDict[str, str], name: str, kind: type[float], low: float, high: float
) -> float | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:  # also int() of a string with thousands of digits
        value = math.nan
    if not low <= value <= high:  # NaN fails this too
        abort(400, f"Filter {name} must be a number from {low} to {high}.")
    return value


FIELDS = {"title", "year", "genres", "director", "actors"}  # and "imdb"
IMDB_FIELDS = {"imdb_id", "rating", "votes"}
LISTS = {"genres", "actors"}


SURROGATE = re.compile("[\ud800-\udfff]")


def storable(value: object) -> bool:
    """A value a field can take: MongoEngine raises TypeError or OverflowError,
    not ValidationError, for a list, an infinite float or a 100-digit integer,
    and BSON's UnicodeEncodeError for a lone surrogate (JSON's "\\ud800")."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, str):
        return not SURROGATE.search(value)
    return value is None


def movie_from(data: Mapping[str, Any]) -> Movie:
    """A new, unsaved Movie from a JSON object (the form is turned into one).

    Only known fields, so a request cannot choose the id, and only storable
    values; save() validates the rest and raises ValidationError.
    """
    errors: dict[str, str] = {}
    imdb = data.get("imdb")
    fields = [(k, k in FIELDS, v) for k, v in data.items() if k != "imdb"]
    if isinstance(imdb, Mapping):
        fields += [(f"imdb.{k}", k in IMDB_FIELDS, v) for k, v in imdb.items()]
    elif imdb is not None:
        errors["imdb"] = "Must be an object."
    for name, known, value in fields:
        items = value if name in LISTS and isinstance(value, list) else [value]
        if not known:
            errors[name] = "No such field."
        elif not all(storable(item) for item in items):
            errors[name] = "Must be a string or a number within 64 bits."
    if errors:
        raise ValidationError("The movie is not valid.", errors=errors)
    return Movie(
        **{key: value for key, value in data.items() if key != "imdb"},
        imdb=None if imdb is None else Imdb(**imdb),
    )


def field_errors(error: ValidationError) -> dict[str, str]:
    """MongoEngine's nested messages, {"imdb": {"rating": "..."}}, flat:
    {"imdb.rating": "..."}. A list item's message is its list's."""
    flat: dict[str, str] = {}

    def walk(name: str, value: Any) -> None:
        if not isinstance(value, dict):
            flat.setdefault(name, str(value))
            return
        for key, inner in value.items():
            if isinstance(key, int):  # genres.0 is genres
                walk(name, inner)
            else:
                walk(f"{name}.{key}" if name else str(key), inner)

    walk("", error.to_dict())
    return flat
