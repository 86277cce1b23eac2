"""MongoDB with MongoEngine: the connection from config, a document with an
embedded one, filtered lists, create and detail pages, the JSON API.

With MONGODB_URI set these tests use that server (a fresh database per test,
dropped afterwards); without it, mongomock. The report header says which.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import mongomock
import pymongo
import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from bson.binary import UuidRepresentation
from flask import Flask
from flask.testing import FlaskClient
from mongoengine import disconnect
from mongoengine import NotUniqueError
from mongoengine import QuerySet
from mongoengine.connection import get_connection
from mongoengine.connection import get_db
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import default_exceptions
from werkzeug.test import TestResponse

from movies import create_app
from movies import db
from movies.models import GENRES
from movies.models import Imdb
from movies.models import Movie

# conftest.py's make_app: builds an app from the test config and the keywords
# given, on a database of its own.
MakeApp = Callable[..., Flask]


def add(title: str, year: int, *genres: str, rating: float | None = None) -> str:
    imdb = None if rating is None else Imdb(rating=rating)
    movie = Movie(title=title, year=year, genres=list(genres), imdb=imdb).save()
    return str(movie.id)


@pytest.fixture
def shelf(app: Flask) -> dict[str, str]:
    """A few movies to filter, by title: their ids."""
    return {
        title: add(title, year, *genres, rating=rating)
        for title, year, genres, rating in [
            ("Casablanca", 1942, ["Drama", "Romance"], 8.5),
            ("Some Like It Hot", 1959, ["Comedy", "Romance"], 8.2),
            ("Alien", 1979, ["Horror", "Science fiction"], 8.5),
            ("Back to the Future", 1985, ["Comedy", "Science fiction"], 8.5),
            ("Paddington 2", 2017, ["Comedy"], 7.8),
            ("Untitled", 2020, [], None),
        ]
    }


def stored() -> list[dict[str, Any]]:
    """Every stored movie as MongoDB holds it, without the ids."""
    return [
        {k: v for k, v in doc.items() if k != "_id"}
        for doc in Movie._get_collection().find().sort("title")
    ]


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def assert_error_page(response: TestResponse, status: int, message: str) -> None:
    """The app's own error page (not Werkzeug's): its layout, its message, and
    a link back to the list."""
    assert response.status_code == status, response.text
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None
    name = default_exceptions[status]().name  # "Not Found", as Werkzeug says it
    assert soup.title.get_text() == f"{status} {name} · Movies"
    assert message in response.text
    link = soup.find("a", string="Back to the movies")
    assert link is not None, response.text
    assert link.get("href") == "/"


def genre_boxes(html: str) -> list[str]:
    """The genres the form offers to tick, in order."""
    boxes = BeautifulSoup(html, "html.parser").select('input[name="genres"]')
    return [str(box["value"]) for box in boxes]


def assert_json_error(response: TestResponse, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.json is not None
    assert response.json["message"] == message


# --- The connection -------------------------------------------------------------


@pytest.mark.usefixtures("instance_folder")
def test_without_a_uri_it_uses_mongomock_and_says_so(
    config: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    try:
        app = create_app(config)
        assert isinstance(get_connection(db.ALIAS), mongomock.MongoClient)
        assert caplog.messages == [
            "No MONGODB_URI: using mongomock, an in-memory stand-in that"
            " forgets every movie when the app stops."
        ]
        page = app.test_client().get("/").text
        assert "In-memory database (mongomock):" in page
    finally:
        disconnect(db.ALIAS)


@pytest.mark.usefixtures("instance_folder")
@pytest.mark.parametrize(
    ("uri", "name"),
    [
        ("mongodb://127.0.0.1:1/elsewhere", "elsewhere"),
        ("mongodb://127.0.0.1:1", "movies"),
    ],
    ids=["its path", "no path"],
)
def test_the_uri_comes_from_flask_mongodb_uri(
    monkeypatch: pytest.MonkeyPatch, uri: str, name: str
) -> None:
    # Nothing listens on port 1; pymongo connects only when first asked.
    monkeypatch.setenv("FLASK_MONGODB_URI", uri)
    monkeypatch.setenv("FLASK_SECRET_KEY", "test")
    monkeypatch.setenv("FLASK_DEMO_MOVIES", "false")  # would ask the server
    try:
        app = create_app()  # as deployed: the config from the environment
        assert app.config["MONGODB_URI"] == uri
        assert type(get_connection(db.ALIAS)) is pymongo.MongoClient
        assert get_db(db.ALIAS).name == name  # the URI's path, else "movies"
        options = get_connection(db.ALIAS).options.codec_options
        assert options.uuid_representation == UuidRepresentation.STANDARD
        # A server out of reach is a 503 after 3 s (MONGODB_TIMEOUT_MS).
        assert get_connection(db.ALIAS).options.server_selection_timeout == 3
        page = app.test_client().get("/movies/new")
        assert page.status_code == 200, page.text
        assert "In-memory database" not in page.text
    finally:
        disconnect(db.ALIAS)


@pytest.mark.parametrize(
    ("path", "is_json"), [("/", False), ("/api/movies", True)], ids=["page", "api"]
)
def test_an_unreachable_server_is_a_503_not_a_hang(
    make_app: MakeApp, path: str, is_json: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # 100 ms, not the app's 3 s: nothing ever listens on port 1, so a longer
    # wait would change nothing. (pymongo still waits half a second, its
    # shortest pause between two tries.)
    app = make_app(
        MONGODB_URI="mongodb://127.0.0.1:1/nobody-listens", MONGODB_TIMEOUT_MS=100
    )
    response = app.test_client().get(path)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "30"
    assert caplog.messages[-1].startswith("MongoDB is unavailable: 127.0.0.1:1: ")
    message = "The database is unavailable. Try again shortly."
    if is_json:
        assert response.json == {"error": "Service Unavailable", "message": message}
    else:
        assert message in response.text
        assert "static/style.css" in response.text  # the app's own page


def test_a_new_app_does_not_see_the_previous_apps_data(make_app: MakeApp) -> None:
    make_app()
    add("Only in the first app", 2000)
    assert Movie.objects.count() == 1
    make_app()
    assert Movie.objects.count() == 0


def test_an_empty_database_gets_the_demo_movies_once(make_app: MakeApp) -> None:
    make_app(DEMO_MOVIES=True)
    count = Movie.objects.count()
    assert count == len(db.DEMO)
    assert stored()[2] == {  # by title: Alien, Back to the Future, Casablanca
        "title": "Casablanca",
        "year": 1942,
        "genres": ["Drama", "Romance"],
        "director": "Michael Curtiz",
        "actors": ["Humphrey Bogart", "Ingrid Bergman"],
        "imdb": {"imdb_id": "tt0034583", "rating": 8.5},
    }
    db.add_demo_movies()  # a database with movies is left alone
    assert Movie.objects.count() == count


def test_the_imdb_record_is_stored_inside_its_movie(client: FlaskClient) -> None:
    response = client.post(
        "/api/movies",
        json={
            "title": "Back to the Future",
            "year": 1985,
            "imdb": {"imdb_id": "tt0088763", "rating": 8.5},
        },
    )
    assert response.status_code == 201, response.text
    assert stored() == [
        {
            "title": "Back to the Future",
            "year": 1985,
            "genres": [],
            "actors": [],
            "imdb": {"imdb_id": "tt0088763", "rating": 8.5},
        }
    ]
    # None for Imdb; the counter holds how many movies are stored.
    assert sorted(get_db(db.ALIAS).list_collection_names()) == ["counter", "movie"]


# --- The list and its filters ---------------------------------------------------

FILTERS = [
    ("", ["Untitled", "Paddington 2", "Back to the Future", "Alien",
          "Some Like It Hot", "Casablanca"]),  # newest first
    ("year_from=1979", ["Untitled", "Paddington 2", "Back to the Future", "Alien"]),
    ("year_from=1950&year_to=1985", ["Back to the Future", "Alien",
                                     "Some Like It Hot"]),
    ("year_from=1985&year_to=1985", ["Back to the Future"]),
    ("genre=Romance", ["Some Like It Hot", "Casablanca"]),
    ("genre=Horror&genre=Drama", ["Alien", "Casablanca"]),  # any of them
    ("genre=Comedy&year_to=1984", ["Some Like It Hot"]),
    ("min_rating=8.5", ["Back to the Future", "Alien", "Casablanca"]),
    ("q=the", ["Back to the Future"]),
    ("q=+ALIEN+", ["Alien"]),
    ("q=.*", []),  # searched for as text, not as a regular expression
    ("year_from=&year_to=&min_rating=&q=", ["Untitled", "Paddington 2",
     "Back to the Future", "Alien", "Some Like It Hot", "Casablanca"]),  # blanks
    ("year_from=1888&year_to=2100&min_rating=0", ["Paddington 2",
     "Back to the Future", "Alien", "Some Like It Hot", "Casablanca"]),  # the bounds
    ("min_rating=10", []),
    ("q=" + "x" * 100, []),  # the longest search
    (urlencode({"genre": GENRES}, doseq=True), ["Paddington 2", "Back to the Future",
     "Alien", "Some Like It Hot", "Casablanca"]),  # every genre
]  # fmt: skip


@pytest.mark.parametrize(("query", "titles"), FILTERS)
def test_the_api_list_filters(
    client: FlaskClient, shelf: dict[str, str], query: str, titles: list[str]
) -> None:
    response = client.get(f"/api/movies?{query}")
    assert response.status_code == 200, response.text
    assert response.json is not None
    assert [movie["title"] for movie in response.json["movies"]] == titles
    assert response.json["count"] == len(titles)


@pytest.mark.parametrize(("query", "titles"), FILTERS)
def test_the_list_page_filters(
    client: FlaskClient, shelf: dict[str, str], query: str, titles: list[str]
) -> None:
    response = client.get(f"/?{query}")
    assert response.status_code == 200, response.text
    page = response.text
    listed = [title for title in shelf if f">{title}</a>" in page]
    assert sorted(listed, key=page.index) == titles


def test_the_list_page_keeps_the_filters_in_its_form(
    client: FlaskClient, shelf: dict[str, str]
) -> None:
    page = client.get("/?genre=Horror&genre=Drama&year_from=1940").text
    assert 'value="Horror"\n          checked>' in page
    assert 'value="Drama"\n          checked>' in page
    assert 'value="Comedy"\n          >' in page
    assert 'name="year_from" type="number" value="1940"' in page
    assert "2 movies match." in page


# --- The list in pages ----------------------------------------------------------


@pytest.fixture
def five_pages_of_two(make_app: MakeApp) -> FlaskClient:
    """Nine movies, two to a page: M9 (the newest) to M1 on pages 1 to 5."""
    app = make_app(MOVIES_PER_PAGE=2)
    for n in range(1, 10):
        add(f"M{n}", 2000 + n, "Comedy" if n % 2 else "Drama")
    return app.test_client()


def test_the_api_list_comes_in_pages_linked_to_each_other(
    five_pages_of_two: FlaskClient,
) -> None:
    client, url, seen = five_pages_of_two, "/api/movies", []
    for number in range(1, 6):
        response = client.get(url)
        assert response.status_code == 200, response.text
        page = response.json
        assert page is not None
        assert (page["count"], page["page"], page["pages"]) == (9, number, 5)
        assert page["prev"] == (
            f"/api/movies?page={number - 1}" if number > 1 else None
        )
        seen += [movie["title"] for movie in page["movies"]]
        url = page["next"]
    assert url is None  # the last page has no next
    assert seen == [f"M{n}" for n in range(9, 0, -1)]  # each once, newest first


def test_the_list_page_shows_one_page_with_links_to_the_others(
    five_pages_of_two: FlaskClient,
) -> None:
    response = five_pages_of_two.get("/?page=2")
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    titles = [a.get_text() for a in soup.select("td a")]
    assert titles == ["M7", "M6"]
    assert "9 movies match." in response.text
    assert "Page 2 of 5" in response.text
    assert [(a["rel"], a["href"]) for a in soup.select("nav a[rel]")] == [
        (["prev"], "/?page=1"),
        (["next"], "/?page=3"),
    ]
    first = BeautifulSoup(five_pages_of_two.get("/").text, "html.parser")
    assert [a["href"] for a in first.select("nav a[rel]")] == ["/?page=2"]  # no prev


def test_an_empty_list_is_one_empty_page(client: FlaskClient) -> None:
    response = client.get("/api/movies")
    assert response.status_code == 200, response.text
    assert response.json == {
        "count": 0,
        "page": 1,
        "pages": 1,
        "prev": None,
        "next": None,
        "movies": [],
    }


def test_page_links_keep_the_filters_and_work_under_a_prefix(
    five_pages_of_two: FlaskClient,
) -> None:
    prefix = "/cookbook/movies"  # where a dispatcher mounts the app
    response = five_pages_of_two.get(
        "/api/movies?genre=Comedy&year_from=2003&junk=x&_external=1",
        base_url=f"http://localhost{prefix}",
    )
    assert response.json is not None, response.text
    assert [movie["title"] for movie in response.json["movies"]] == ["M9", "M7"]
    link = response.json["next"]
    assert link == f"{prefix}/api/movies?genre=Comedy&year_from=2003&page=2"
    response = five_pages_of_two.get(
        link.removeprefix(prefix), base_url=f"http://localhost{prefix}"
    )
    assert response.json is not None, response.text
    assert [movie["title"] for movie in response.json["movies"]] == ["M5", "M3"]
    assert response.json["next"] is None


@pytest.mark.parametrize("page", ["6", "0", "-1", "two", "", "9" * 5000])
def test_a_page_past_the_last_or_no_page_number_is_a_404(
    five_pages_of_two: FlaskClient, page: str
) -> None:
    message = "There is no such page: the last is page 5."
    assert_error_page(five_pages_of_two.get(f"/?page={page}"), 404, message)
    assert_json_error(five_pages_of_two.get(f"/api/movies?page={page}"), 404, message)


BAD_FILTERS = [
    ("year_from=abc", "Filter year_from must be a number from 1888 to 2100."),
    ("year_to=1887", "Filter year_to must be a number from 1888 to 2100."),
    ("year_to=" + "9" * 5000, "Filter year_to must be a number from 1888 to 2100."),
    ("min_rating=nan", "Filter min_rating must be a number from 0 to 10."),
    ("min_rating=10.5", "Filter min_rating must be a number from 0 to 10."),
    ("genre=Western", f"Choose genres from: {', '.join(GENRES)}."),
    ("q=" + "x" * 101, "Keep the title search to 100 characters."),
]


@pytest.mark.parametrize(("query", "message"), BAD_FILTERS)
def test_a_bad_filter_is_a_400_page(
    client: FlaskClient, query: str, message: str
) -> None:
    assert_error_page(client.get(f"/?{query}"), 400, message)


@pytest.mark.parametrize(("query", "message"), BAD_FILTERS)
def test_a_bad_filter_is_a_400_in_json(
    client: FlaskClient, query: str, message: str
) -> None:
    assert_json_error(client.get(f"/api/movies?{query}"), 400, message)


@pytest.mark.parametrize(
    ("path", "is_json"),
    [("/api", True), ("/api/nothing", True), ("/apis", False), ("/nothing", False)],
)
def test_errors_at_api_and_under_it_are_json_elsewhere_a_page(
    client: FlaskClient, path: str, is_json: bool
) -> None:
    response = client.get(path)
    message = default_exceptions[404].description
    if is_json:
        assert response.json == {"error": "Not Found", "message": message}
    else:
        assert_error_page(response, 404, "The requested URL was not found")


# --- One movie: get-or-404 ------------------------------------------------------


def test_the_detail_page_shows_the_movie_and_its_embedded_record(
    client: FlaskClient,
) -> None:
    movie = Movie(
        title="<script>x</script>",
        year=1985,
        genres=["Comedy"],
        director="Robert Zemeckis",
        actors=["Michael J. Fox", "Christopher Lloyd"],
        imdb=Imdb(imdb_id="tt0088763", rating=8.5, votes=1_300_000),
    ).save()
    response = client.get(f"/movies/{movie.id}")
    assert response.status_code == 200, response.text
    page = response.text
    assert "&lt;script&gt;x&lt;/script&gt; <small>(1985)</small>" in page
    assert "<td>Michael J. Fox, Christopher Lloyd</td>" in page
    assert "<td>tt0088763</td>" in page
    assert "<td>1300000</td>" in page
    api = client.get(f"/api/movies/{movie.id}").json
    assert api is not None
    assert api["imdb"] == {"imdb_id": "tt0088763", "rating": 8.5, "votes": 1_300_000}
    assert api["url"] == f"/api/movies/{movie.id}"


@pytest.mark.parametrize(
    "movie_id",
    [
        "0" * 24,  # well formed, but no such movie
        "abc",
        "z" * 24,
        "a" * 12,  # bson takes 12 characters as raw bytes: still no id of ours
        "a" * 25,
        "x" * 3000,
    ],
)
def test_an_unknown_or_malformed_id_is_a_404(
    client: FlaskClient, shelf: dict[str, str], movie_id: str
) -> None:
    message = "There is no movie with that id."
    assert_error_page(client.get(f"/movies/{movie_id}"), 404, message)
    assert_json_error(client.get(f"/api/movies/{movie_id}"), 404, message)


def test_an_id_in_capitals_finds_the_movie(
    client: FlaskClient, shelf: dict[str, str]
) -> None:
    response = client.get(f"/api/movies/{shelf['Alien'].upper()}")
    assert response.status_code == 200, response.text
    assert response.json is not None and response.json["title"] == "Alien"


# --- Adding a movie: the form ---------------------------------------------------


def test_the_form_offers_every_genre(client: FlaskClient) -> None:
    response = client.get("/movies/new")
    assert response.status_code == 200, response.text
    assert genre_boxes(response.text) == list(GENRES)


def test_the_form_stores_the_movie_and_redirects_to_it(client: FlaskClient) -> None:
    response = client.post(
        "/movies/new",
        data={
            "title": "  Spirited Away ",
            "year": "2001",
            "genres": ["Animation", "Fantasy"],
            "director": " Hayao Miyazaki ",
            "actors": "Rumi Hiiragi, Miyu Irino,, ",
            "imdb.imdb_id": "tt0245429",
            "imdb.rating": "8.6",
            "imdb.votes": "",
        },
    )
    assert response.status_code == 303, response.text
    movie = Movie.objects.get()
    assert response.headers["Location"] == f"/movies/{movie.id}"
    assert stored() == [
        {
            "title": "Spirited Away",
            "year": 2001,
            "genres": ["Animation", "Fantasy"],
            "director": "Hayao Miyazaki",
            "actors": ["Rumi Hiiragi", "Miyu Irino"],
            "imdb": {"imdb_id": "tt0245429", "rating": 8.6},
        }
    ]
    assert "Added “Spirited Away”." in client.get(response.headers["Location"]).text


def test_a_form_without_imdb_fields_stores_no_imdb_record(
    client: FlaskClient,
) -> None:
    response = client.post("/movies/new", data={"title": "Home movie", "year": "1999"})
    assert response.status_code == 303, response.text
    assert stored() == [
        {"title": "Home movie", "year": 1999, "genres": [], "actors": []}
    ]


FORM = {"title": "T", "year": "2001"}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"year": "2001"}, "Field is required"),
        ({"title": "   ", "year": "2001"}, "Field is required"),
        ({"title": "x" * 201, "year": "2001"}, "String value is too long"),
        ({"title": "T"}, "Field is required"),
        ({"title": "T", "year": "soon"}, "soon could not be converted to int"),
        ({"title": "T", "year": "1850"}, "Integer value is too small"),
        ({**FORM, "genres": "Western"}, "Value must be one of"),
        ({**FORM, "imdb.imdb_id": "0088763"}, "String value did not match"),
        ({**FORM, "imdb.rating": "11"}, "Float value is too large"),
        ({**FORM, "imdb.rating": "nan"}, "Must be a finite number."),
        ({**FORM, "imdb.votes": "-1"}, "Integer value is too small"),
    ],
)  # fmt: skip
def test_a_bad_form_is_a_400_with_the_message_and_stores_nothing(
    client: FlaskClient, form: dict[str, str], message: str
) -> None:
    response = client.post("/movies/new", data=form)
    assert response.status_code == 400, response.text
    assert f'<p class="error">{message}' in response.text
    assert 'action="/movies/new"' in response.text  # the form, to correct
    assert genre_boxes(response.text) == list(GENRES)
    if "title" in form:
        assert f'value="{form["title"]}"' in response.text  # as typed
    assert stored() == []


def test_csrf_rejects_a_form_without_the_token_and_accepts_one_with_it(
    make_app: MakeApp,
) -> None:
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    form = {"title": "Alien", "year": "1979"}
    response = client.post("/movies/new", data=form)
    assert_error_page(response, 400, "The CSRF token is missing.")
    assert stored() == []
    token = csrf_token(client.get("/movies/new").text)
    response = client.post("/movies/new", data={**form, "csrf_token": token})
    assert response.status_code == 303, response.text
    assert [movie["title"] for movie in stored()] == ["Alien"]


# --- Adding a movie: the JSON API -----------------------------------------------


def test_the_api_creates_a_movie_with_201_and_its_location(
    client: FlaskClient,
) -> None:
    movie = {
        "title": "Paddington 2",
        "year": 2017,
        "genres": ["Adventure", "Comedy"],
        "director": "Paul King",
        "actors": ["Ben Whishaw"],
        "imdb": {"imdb_id": "tt4468740", "rating": 7.8, "votes": 90000},
    }
    response = client.post("/api/movies", json=movie)
    assert response.status_code == 201, response.text
    assert response.json is not None
    location = response.headers["Location"]
    assert response.json == {
        **movie,
        "id": str(Movie.objects.get().id),
        "url": location,
    }
    assert client.get(location).json == response.json


BODY = {"title": "T", "year": 2001}
NOT_STORABLE = "Must be a string or a number within 64 bits."


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"year": 2001}, {"title": "Field is required"}),
        ({**BODY, "title": 5}, {"title": "StringField only accepts string values"}),
        ({**BODY, "genres": "Drama"},
         {"genres": "Only lists and tuples may be used in a list field"}),
        ({**BODY, "genres": ["Drama", {"$ne": 1}]}, {"genres": NOT_STORABLE}),
        ({**BODY, "actors": ["Ann", "\udc00"]}, {"actors": NOT_STORABLE}),
        ({**BODY, "imdb": "tt0088763"}, {"imdb": "Must be an object."}),
        ({**BODY, "imdb": {"rating": [8]}}, {"imdb.rating": NOT_STORABLE}),
        ({**BODY, "imdb": {"votes": 2**63}}, {"imdb.votes": NOT_STORABLE}),
        ({**BODY, "imdb": {"votes": 2**63 - 1}},
         {"imdb.votes": "Integer value is too large"}),
        ({**BODY, "imdb": {"votes": -(2**63) - 1}}, {"imdb.votes": NOT_STORABLE}),
        ({**BODY, "imdb": {"votes": -(2**63)}},
         {"imdb.votes": "Integer value is too small"}),
        ({**BODY, "id": "0" * 24}, {"id": "No such field."}),
        ({**BODY, "pk": 1, "imdb": {"stars": 5}},
         {"pk": "No such field.", "imdb.stars": "No such field."}),
        ({"title": "", "year": 1500, "imdb": {"rating": -1}},
         {"title": "String value is too short", "year": "Integer value is too small",
          "imdb.rating": "Float value is too small"}),
    ],
)  # fmt: skip
def test_a_bad_movie_is_a_400_naming_each_field_and_stores_nothing(
    client: FlaskClient, body: dict[str, Any], fields: dict[str, str]
) -> None:
    response = client.post("/api/movies", json=body)
    assert response.status_code == 400, response.text
    assert response.json == {
        "error": "Bad Request",
        "message": "The movie is not valid: see fields.",
        "fields": fields,
    }
    assert stored() == []


NOT_AN_OBJECT = "Send the movie as a JSON object."


@pytest.mark.parametrize(
    ("data", "content_type", "status", "message"),
    [
        ('["Alien", 1979]', "application/json", 400, NOT_AN_OBJECT),
        ("null", "application/json", 400, NOT_AN_OBJECT),
        ('{"title": ', "application/json", 400,
         "The body is not valid JSON: Expecting value: line 1 column 11 (char 10)."),
        ("[" * 16000, "application/json", 400,
         "The body is not valid JSON: it is nested too deeply."),
        ("title=Alien&year=1979", "application/x-www-form-urlencoded", 415,
         "Send the movie as JSON, with Content-Type: application/json."),
    ],
)  # fmt: skip
def test_a_body_that_is_no_movie_object_is_refused_in_json(
    client: FlaskClient, data: str, content_type: str, status: int, message: str
) -> None:
    response = client.post("/api/movies", data=data, content_type=content_type)
    assert_json_error(response, status, message)
    assert stored() == []


@pytest.mark.parametrize(
    ("data", "number"),
    [
        ('{"title": "T", "year": 2001, "imdb": {"rating": NaN}}', "NaN"),
        ('{"title": "T", "year": Infinity}', "Infinity"),
        ('{"title": "T", "year": 2001, "actors": [-Infinity]}', "-Infinity"),
        ('{"title": "T", "year": 1e1000000}', "1e1000000"),
        ('{"title": "T", "year": 2001, "imdb": {"votes": -1e999}}', "-1e999"),
        ('{"title": "T", "year": 1.5e99999999999999999999}', "1.5e9999999999999999"),
    ],
)
def test_a_number_json_cannot_carry_is_a_400_that_names_it(
    client: FlaskClient, data: str, number: str
) -> None:
    """Python's json reads these; a browser's JSON.parse could not read them back."""
    response = client.post("/api/movies", data=data, content_type="application/json")
    assert response.status_code == 400, response.text
    reason = "is too large for a number" if "e" in number else "is not a JSON number"
    assert response.json == {
        "error": "Bad Request",
        "message": f"The body is not valid JSON: {number} {reason}.",
    }
    assert stored() == []


def test_the_api_needs_no_csrf_token_but_json(make_app: MakeApp) -> None:
    """Another site's form can post only form bodies, and those are refused."""
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    movie = {"title": "Alien", "year": 1979}
    assert client.post("/api/movies", data=movie).status_code == 415
    response = client.post("/api/movies", json=movie)
    assert response.status_code == 201, response.text


# --- At most MOVIES_MAX movies --------------------------------------------------

FULL = "There is no room for more movies: 3 at most."


def test_the_api_adds_up_to_the_limit_then_answers_409(make_app: MakeApp) -> None:
    client = make_app(MOVIES_MAX=3).test_client()
    for year in (2001, 2002, 2003):
        response = client.post("/api/movies", json={"title": "T", "year": year})
        assert response.status_code == 201, response.text
    response = client.post("/api/movies", json={"title": "T", "year": 2004})
    assert response.status_code == 409, response.text
    assert response.json == {"error": "Conflict", "message": FULL}
    assert [movie["year"] for movie in stored()] == [2001, 2002, 2003]


def test_the_form_adds_up_to_the_limit_then_says_it_is_full(
    make_app: MakeApp,
) -> None:
    client = make_app(MOVIES_MAX=3).test_client()
    for year in ("2001", "2002", "2003"):
        response = client.post("/movies/new", data={"title": "T", "year": year})
        assert response.status_code == 303, response.text
    response = client.post("/movies/new", data={"title": "Fourth", "year": "2004"})
    assert response.status_code == 409, response.text
    assert f'<p class="error">{FULL}</p>' in response.text
    assert 'name="title" type="text" value="Fourth"' in response.text  # as typed
    assert genre_boxes(response.text) == list(GENRES)
    assert [movie["year"] for movie in stored()] == [2001, 2002, 2003]


def test_movies_stored_before_count_toward_the_limit(make_app: MakeApp) -> None:
    """The demo movies, or a database that had movies before the counter."""
    client = make_app(MOVIES_MAX=3).test_client()
    add("Casablanca", 1942)
    add("Alien", 1979)
    response = client.post("/api/movies", json={"title": "T", "year": 2001})
    assert response.status_code == 201, response.text
    response = client.post("/api/movies", json={"title": "T", "year": 2002})
    assert_json_error(response, 409, FULL)
    assert len(stored()) == 3


def test_an_invalid_movie_takes_no_place(make_app: MakeApp) -> None:
    client = make_app(MOVIES_MAX=1).test_client()
    response = client.post("/api/movies", json={"title": "", "year": 2001})
    assert response.status_code == 400, response.text
    response = client.post("/api/movies", json={"title": "T", "year": 2001})
    assert response.status_code == 201, response.text
    response = client.post("/api/movies", json={"title": "T", "year": 2002})
    assert_json_error(response, 409, "There is no room for more movies: 1 at most.")


def test_a_movie_the_database_fails_to_store_frees_its_place(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server goes away after the place is taken and before the movie is
    stored: a 503, and the place is free again for the next request."""
    client = make_app(MOVIES_MAX=1).test_client()

    def connection_lost(movie: Movie, **kwargs: Any) -> None:
        raise pymongo.errors.AutoReconnect("connection closed")

    with monkeypatch.context() as patch:
        patch.setattr(Movie, "save", connection_lost)
        response = client.post("/api/movies", json={"title": "Lost", "year": 2001})
    assert_json_error(response, 503, "The database is unavailable. Try again shortly.")
    response = client.post("/api/movies", json={"title": "T", "year": 2001})
    assert response.status_code == 201, response.text
    response = client.post("/api/movies", json={"title": "T", "year": 2002})
    assert_json_error(response, 409, "There is no room for more movies: 1 at most.")
    assert [movie["title"] for movie in stored()] == ["T"]


def test_a_request_that_loses_the_race_to_start_the_counter_still_adds(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a new database two requests can both find no counter and both insert
    it. MongoDB refuses the second insert (a duplicate _id), and that request
    goes on with the counter the first one started. mongomock applies one
    upsert at a time, so the race is played here: the upsert goes through, as
    the other request's, and this request's is refused."""
    update_one = QuerySet.update_one

    def raced(queryset: QuerySet, upsert: bool = False, **update: Any) -> int:
        updated = update_one(queryset, upsert=upsert, **update)
        if upsert:
            raise NotUniqueError("E11000 duplicate key error: _id 'movies'")
        return updated

    monkeypatch.setattr(QuerySet, "update_one", raced)
    response = client.post("/api/movies", json={"title": "Raced", "year": 2001})
    assert response.status_code == 201, response.text
    assert [movie["title"] for movie in stored()] == ["Raced"]


def test_racing_requests_never_store_more_than_the_limit(make_app: MakeApp) -> None:
    """Sixteen requests at once for three places, on a new database (no counter
    yet): three are stored, and the others are told that the list is full.

    With MONGODB_URI the threads wait on the server's socket, and their updates
    meet in the server, which applies each one atomically. mongomock applies
    one in many Python steps, and a thread switch amid them would break the
    limit in mongomock, not in the app: so threads switch only when they wait.
    """
    app = make_app(MOVIES_MAX=3)
    start = threading.Barrier(16)

    def post(n: int) -> tuple[int, Any]:
        client = app.test_client()
        start.wait(timeout=30)  # all at once, not one by one
        response = client.post("/api/movies", json={"title": f"M{n}", "year": 2001})
        return response.status_code, response.json

    interval = sys.getswitchinterval()
    sys.setswitchinterval(60)
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(post, range(16)))
    finally:
        sys.setswitchinterval(interval)
    assert sorted(status for status, _ in answers) == [201] * 3 + [409] * 13, answers
    assert {body["message"] for status, body in answers if status == 409} == {FULL}
    assert len(stored()) == 3


# --- The defaults and the app's guards ------------------------------------------


@pytest.mark.usefixtures("instance_folder")
@pytest.mark.parametrize("config", [{}, {"SECRET_KEY": ""}], ids=["none", "empty"])
def test_a_deployed_app_without_a_secret_key_does_not_start(
    config: dict[str, Any],
) -> None:
    with pytest.raises(RuntimeError) as error:
        create_app({"DEMO_MOVIES": False, **config})
    assert "Set a secret key: export FLASK_SECRET_KEY=" in str(error.value)


@pytest.mark.usefixtures("instance_folder")
@pytest.mark.parametrize("mode", ["TESTING", "DEBUG"])
def test_a_development_app_gets_a_secret_key_and_the_demo_movies(mode: str) -> None:
    try:
        app = create_app({mode: True})
        assert isinstance(app.secret_key, str) and app.secret_key
        assert Movie.objects.count() == len(db.DEMO)
    finally:
        disconnect(db.ALIAS)


def test_the_config_comes_from_the_instance_folder(instance_folder: Path) -> None:
    instance_folder.mkdir()
    (instance_folder / "config.py").write_text(
        "SECRET_KEY = 'from the instance'\nDEMO_MOVIES = False\n"
    )
    try:
        app = create_app()
        assert app.secret_key == "from the instance"
        assert Movie.objects.count() == 0
    finally:
        disconnect(db.ALIAS)


def test_the_session_cookie_is_same_site_lax(client: FlaskClient) -> None:
    response = client.post("/movies/new", data={"title": "T", "year": "2001"})
    assert response.status_code == 303, response.text
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


def test_the_list_shows_twenty_movies_a_page_by_default(client: FlaskClient) -> None:
    Movie.objects.insert([Movie(title=f"M{n:02}", year=2000) for n in range(21)])
    page = client.get("/api/movies").json
    assert page is not None
    assert (len(page["movies"]), page["pages"]) == (20, 2)


def test_a_thousand_movies_fit_by_default_not_one_more(client: FlaskClient) -> None:
    Movie._get_collection().insert_many(
        {"title": "T", "year": 2000} for _ in range(999)
    )
    response = client.post("/api/movies", json={"title": "The 1000th", "year": 2001})
    assert response.status_code == 201, response.text
    response = client.post("/api/movies", json={"title": "One more", "year": 2001})
    assert_json_error(response, 409, "There is no room for more movies: 1000 at most.")


MOVIE = b'{"title": "T", "year": 2001}'
TOO_LARGE = "The data value transmitted exceeds the capacity limit."


@pytest.mark.parametrize(("size", "status"), [(16 * 1024, 201), (16 * 1024 + 1, 413)])
def test_a_body_up_to_16_kb_is_read_one_byte_more_is_a_413(
    client: FlaskClient, size: int, status: int
) -> None:
    body = MOVIE.ljust(size)  # JSON allows the spaces after the object
    response = client.post("/api/movies", data=body, content_type="application/json")
    assert response.status_code == status, response.text
    if status == 413:
        assert_json_error(response, 413, TOO_LARGE)
        assert stored() == []


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nAlien",
        b'Content-Disposition: form-data; filename="f.txt"\r\n\r\ndata',
    ],
    ids=["field", "file"],
)
def test_a_multipart_part_with_no_name_is_a_400_page(
    make_app: MakeApp, part: bytes
) -> None:
    """Werkzeug files it under the key None, where the CSRF check would fail."""
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post(
        "/movies/new",
        data=b"--B\r\n" + part + b"\r\n--B--\r\n",
        content_type="multipart/form-data; boundary=B",
    )
    message = "Every part of a multipart form needs a name."
    assert_error_page(response, 400, message)
    assert f"<p>{message}</p>" in response.text  # all of it, nothing around
    assert stored() == []


def test_a_multipart_form_is_stored_like_any_other(client: FlaskClient) -> None:
    response = client.post(
        "/movies/new",
        data={"title": "Alien", "year": "1979"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.text
    assert [movie["title"] for movie in stored()] == ["Alien"]


@pytest.mark.parametrize(
    ("host", "extra", "message"),
    [
        ("a..b", {}, BadRequest.description),  # no valid host name
        ("evil.example", {"TRUSTED_HOSTS": ["localhost"]},
         "Host 'evil.example' is not trusted."),
    ],
    ids=["malformed", "untrusted"],
)  # fmt: skip
def test_a_bad_host_header_is_a_plain_400_with_no_links(
    make_app: MakeApp, host: str, extra: dict[str, Any], message: str
) -> None:
    """No URL can be built for such a host: no page with links either."""
    response = make_app(**extra).test_client().get("/", headers={"Host": host})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == f"400 Bad Request: {message}"


class ServerError(Exception):
    """What gunicorn raises from inside a read of a malformed chunked body."""


class MalformedBody:
    """The server's input stream on a malformed chunked body."""

    def read(self, size: int = -1) -> bytes:
        raise ServerError("Invalid chunk size")


def test_a_body_the_server_fails_to_read_is_a_400_in_json(
    client: FlaskClient,
) -> None:
    response = client.post(
        "/api/movies",
        data=MOVIE,  # its Content-Length
        content_type="application/json",
        environ_overrides={"wsgi.input": MalformedBody()},
    )
    assert response.status_code == 400, response.text
    assert response.json == {"error": "Bad Request", "message": BadRequest.description}
    assert stored() == []


def test_the_body_is_read_up_to_its_content_length_only(client: FlaskClient) -> None:
    response = client.post(
        "/api/movies",
        data=MOVIE,  # sets the Content-Length
        content_type="application/json",
        # What follows on the connection is the next request's, not this body's.
        environ_overrides={"wsgi.input": io.BytesIO(MOVIE + b'{"next": 1}')},
    )
    assert response.status_code == 201, response.text
    assert [movie["title"] for movie in stored()] == ["T"]
