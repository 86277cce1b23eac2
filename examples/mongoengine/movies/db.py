"""The connection, opened from the app's config when create_app() runs."""

from __future__ import annotations

import mongomock
from flask import current_app
from flask import Flask
from flask import make_response
from flask.typing import ResponseReturnValue
from mongoengine import connect
from mongoengine import disconnect
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import ServiceUnavailable

from .errors import handle_http_error
from .models import Imdb
from .models import Movie

# MongoEngine keeps its connections per process, by name: Movie's meta names
# this one, which leaves the default name to the rest of a project.
ALIAS = "movies"


def init_app(app: Flask) -> None:
    """Connect to MONGODB_URI, or to an in-memory mongomock when none is set."""
    # A second app in this process (a test, the reloader) must not read the
    # first one's data: close that connection and open this app's own.
    disconnect(ALIAS)
    uri = app.config["MONGODB_URI"]
    if uri:  # mongodb://host:27017/movies: the database is the URI's path
        connect(
            host=uri,
            db="movies",
            alias=ALIAS,
            uuidRepresentation="standard",
            serverSelectionTimeoutMS=app.config["MONGODB_TIMEOUT_MS"],
        )
    else:
        app.logger.warning(
            "No MONGODB_URI: using mongomock, an in-memory stand-in that"
            " forgets every movie when the app stops."
        )
        connect(
            db="movies",
            alias=ALIAS,
            mongo_client_class=mongomock.MongoClient,
            uuidRepresentation="standard",
        )
    app.register_error_handler(ConnectionFailure, server_unavailable)
    if app.config["DEMO_MOVIES"]:
        add_demo_movies()


def server_unavailable(error: ConnectionFailure) -> ResponseReturnValue:
    """MongoDB is down or unreachable: a 503 to retry, in the app's shape."""
    current_app.logger.error("MongoDB is unavailable: %s", error)
    response = make_response(
        handle_http_error(
            ServiceUnavailable("The database is unavailable. Try again shortly.")
        )
    )
    response.headers["Retry-After"] = "30"
    return response


def add_demo_movies() -> None:
    """Give an empty database a few movies to filter; leave any other alone."""
    if Movie.objects.first() is not None:
        return
    for title, year, genres, director, actors, imdb_id, rating in DEMO:
        Movie(
            title=title,
            year=year,
            genres=genres,
            director=director,
            actors=actors,
            imdb=Imdb(imdb_id=imdb_id, rating=rating),
        ).save()


DEMO = [
    ("Casablanca", 1942, ["Drama", "Romance"], "Michael Curtiz",
     ["Humphrey Bogart", "Ingrid Bergman"], "tt0034583", 8.5),
    ("Some Like It Hot", 1959, ["Comedy", "Romance"], "Billy Wilder",
     ["Marilyn Monroe", "Tony Curtis", "Jack Lemmon"], "tt0053291", 8.2),
    ("Alien", 1979, ["Horror", "Science fiction"], "Ridley Scott",
     ["Sigourney Weaver", "Tom Skerritt"], "tt0078748", 8.5),
    ("Back to the Future", 1985, ["Adventure", "Comedy", "Science fiction"],
     "Robert Zemeckis", ["Michael J. Fox", "Christopher Lloyd"], "tt0088763", 8.5),
    ("Spirited Away", 2001, ["Animation", "Fantasy"], "Hayao Miyazaki",
     ["Rumi Hiiragi", "Miyu Irino"], "tt0245429", 8.6),
    ("Mad Max: Fury Road", 2015, ["Adventure", "Science fiction"], "George Miller",
     ["Tom Hardy", "Charlize Theron"], "tt1392190", 8.1),
    ("Paddington 2", 2017, ["Adventure", "Comedy"], "Paul King",
     ["Ben Whishaw", "Hugh Grant"], "tt4468740", 7.8),
]  # fmt: skip
