"""Application factories: one factory, many independent apps."""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from click.testing import CliRunner
from flask import Flask
from flask.cli import cli
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import default_exceptions
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.test import TestResponse

from bookmarks import create_app
from bookmarks.models import Bookmark
from bookmarks.models import db

FORWARDED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "bookmarks.example.org",
    "X-Forwarded-Prefix": "/shelf",
}


@pytest.fixture
def flask_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Undo what the `flask` command changes in the process it runs in."""
    monkeypatch.setattr(sys, "path", list(sys.path))  # it adds the app's folder
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # it sets this for good
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")  # no developer's .env file
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-env")
    # The command line passes no test config: the database is set as a deployed
    # app's would be, from the environment.
    monkeypatch.setenv(
        "FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'bookmarks.sqlite'}"
    )


def stored(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(db.select(Bookmark).order_by(Bookmark.id))
        return [(row.url, row.title) for row in rows]


def titles(html: str) -> list[str]:
    """The bookmark titles listed on a page, top to bottom."""
    return [
        a.get_text() for a in BeautifulSoup(html, "html.parser").select("#bookmarks a")
    ]


def add(client: FlaskClient, url: str, title: str) -> TestResponse:
    return client.post("/add", data={"url": url, "title": title})


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
    assert soup.title.get_text() == f"{status} {name} · Bookmarks"
    said = soup.select_one("main h1 + p")
    assert said is not None, response.text
    assert said.get_text() == message
    link = soup.find("a", string="Back to the bookmarks")
    assert link is not None, response.text
    assert link.get("href") == "/"


@contextmanager
def another_worker_creating_tables(database_url: str) -> Iterator[list[str]]:
    """Stage the race of workers starting together on a new database.

    Between SQLAlchemy's "is the table there?" and its CREATE TABLE, another
    connection creates the table first, once, as a second worker would.
    Yields the names of the tables so created.
    """
    raced: list[str] = []

    def creates_it_first(target: Table, connection: Connection, **kw: object) -> None:
        if not raced:
            other = create_engine(database_url)
            try:
                with other.begin() as worker:
                    worker.execute(CreateTable(target))
            finally:
                other.dispose()
            raced.append(target.name)

    event.listen(Table, "before_create", creates_it_first)
    try:
        yield raced
    finally:
        event.remove(Table, "before_create", creates_it_first)


# Configuration: defaults, then instance/config.py, then FLASK_* variables over
# it; or, given a test config, the defaults and the test config alone.


@pytest.mark.parametrize(
    ("instance_file", "env", "test_config", "expected"),
    [
        (False, False, None, "Bookmarks"),
        (True, False, None, "from config.py"),
        (False, True, None, "from env"),
        (True, True, None, "from env"),
        (True, True, {"SITE_NAME": "from test_config"}, "from test_config"),
        (False, False, {"SITE_NAME": "from test_config"}, "from test_config"),
        (True, True, {}, "Bookmarks"),
    ],
    ids=[
        "default",
        "instance",
        "env",
        "env-over-instance",
        "test-over-all",
        "test",
        "test-alone",
    ],
)
def test_config_precedence(
    instance_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: dict[str, object],
    instance_file: bool,
    env: bool,
    test_config: dict[str, object] | None,
    expected: str,
) -> None:
    if instance_file:
        instance_folder.mkdir()
        (instance_folder / "config.py").write_text('SITE_NAME = "from config.py"\n')
    if env:
        monkeypatch.setenv("FLASK_SITE_NAME", "from env")
    # Built as deployed (no test config), the app takes its secret from outside.
    monkeypatch.setenv("FLASK_SECRET_KEY", "from env")

    app = create_app(None if test_config is None else {**config, **test_config})

    assert app.instance_path == str(instance_folder)
    assert app.config["SITE_NAME"] == expected
    assert app.secret_key == ("from env" if test_config is None else "test")
    response = app.test_client().get("/")
    assert response.status_code == 200, response.text
    assert f"<title>Saved links · {expected}</title>" in response.text


def test_env_values_are_parsed_as_json(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "from env")
    monkeypatch.setenv("FLASK_BOOKMARKS_PER_PAGE", "3")
    assert create_app().config["BOOKMARKS_PER_PAGE"] == 3


@pytest.mark.parametrize(
    "secret", [None, "", "123"], ids=["unset", "empty", "not-a-string"]
)
def test_a_deployed_app_without_a_secret_key_refuses_to_start(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    if secret is not None:
        monkeypatch.setenv("FLASK_SECRET_KEY", secret)  # "123" is read as JSON: 123

    with pytest.raises(RuntimeError) as refused:
        create_app()

    assert str(refused.value).startswith("Set a secret key: export FLASK_SECRET_KEY=")


@pytest.mark.parametrize("mode", ["FLASK_DEBUG", "FLASK_TESTING"])
def test_debug_or_testing_alone_gets_a_development_secret_key(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv(mode, "true")
    client = create_app().test_client()

    # The CSRF token and the session that carries the flash are signed with it.
    token = csrf_token(client.get("/").text)
    response = client.post(
        "/add",
        data={"url": "https://example.com/", "title": "Signed", "csrf_token": token},
    )
    assert response.status_code == 303, response.text
    assert "Saved “Signed”." in client.get("/").text


def test_database_defaults_to_the_instance_folder(instance_folder: Path) -> None:
    # No SQLALCHEMY_DATABASE_URI in the test config: the default applies.
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})
    response = add(app.test_client(), "https://flask.palletsprojects.com/", "Flask")
    assert response.status_code == 303, response.text
    assert app.instance_path == str(instance_folder)
    assert (instance_folder / "bookmarks.sqlite").is_file()


# Views read the config of the app handling the request, through current_app.


def test_site_name_comes_from_current_app_config(config: dict[str, object]) -> None:
    client = create_app({**config, "SITE_NAME": "Reading list"}).test_client()

    page = client.get("/")
    about = client.get("/api/about")

    assert page.status_code == 200, page.text
    home = BeautifulSoup(page.text, "html.parser").select_one("header > a")
    assert home is not None
    assert home.get_text() == "Reading list"
    assert about.status_code == 200, about.text
    assert about.json is not None
    assert about.json["site_name"] == "Reading list"


@pytest.mark.parametrize(("per_page", "pages"), [(2, 3), (5, 1)])
def test_page_size_comes_from_current_app_config(
    config: dict[str, object], per_page: int, pages: int
) -> None:
    app = create_app({**config, "BOOKMARKS_PER_PAGE": per_page})
    client = app.test_client()
    for n in range(5):
        add(client, f"https://example.com/{n}", f"Link {n}")

    first = client.get("/")

    assert first.status_code == 200, first.text
    assert titles(first.text) == [f"Link {n}" for n in range(4, 4 - per_page, -1)]
    if pages > 1:
        assert f"Page 1 of {pages}" in first.text
        last = client.get(f"/?page={pages}")
        assert last.status_code == 200, last.text
        assert titles(last.text)[-1] == "Link 0"
        assert len(titles(last.text)) == 5 - per_page * (pages - 1)


def test_the_list_shows_10_bookmarks_a_page_by_default(
    config: dict[str, object],
) -> None:
    client = create_app(config).test_client()
    for n in range(11):
        add(client, f"https://example.com/{n}", f"Link {n}")

    first = client.get("/")
    second = client.get("/?page=2")

    assert titles(first.text) == [f"Link {n}" for n in range(10, 0, -1)], first.text
    assert "Page 1 of 2" in first.text
    assert titles(second.text) == ["Link 0"], second.text


# One extension object, many apps.


def test_one_module_level_db_is_bound_to_every_app(
    config: dict[str, object], tmp_path: Path
) -> None:
    apps = [
        create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        for path in (tmp_path / "a.sqlite", tmp_path / "b.sqlite")
    ]

    assert all(app.extensions["sqlalchemy"] is db for app in apps)
    engines = []
    for app in apps:
        with app.app_context():
            engines.append(db.engine)
    assert engines[0] is not engines[1]
    assert [engine.url.database for engine in engines] == [
        str(tmp_path / "a.sqlite"),
        str(tmp_path / "b.sqlite"),
    ]


def test_two_apps_in_one_process_stay_isolated(
    config: dict[str, object], tmp_path: Path
) -> None:
    first = create_app(
        {
            **config,
            "SITE_NAME": "First",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'first.sqlite'}",
        }
    )
    second = create_app(
        {
            **config,
            "SITE_NAME": "Second",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'second.sqlite'}",
        }
    )
    first_client = first.test_client()
    second_client = second.test_client()

    add(first_client, "https://example.com/only-in-first", "Only in first")

    assert stored(first) == [("https://example.com/only-in-first", "Only in first")]
    assert stored(second) == []
    assert "Only in first" in first_client.get("/").text
    second_page = second_client.get("/").text
    assert "Only in first" not in second_page
    assert "No bookmarks yet." in second_page
    assert "Second" in second_page
    assert "First" not in second_page


def test_workers_starting_together_on_a_new_database_all_start(
    config: dict[str, object], tmp_path: Path
) -> None:
    """Another worker creates the table between create_all()'s look and its CREATE."""
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    with another_worker_creating_tables(url) as raced:
        app = create_app({**config, "SQLALCHEMY_DATABASE_URI": url})

    assert raced == ["bookmark"]
    add(app.test_client(), "https://example.com/", "Started")
    assert stored(app) == [("https://example.com/", "Started")]


# Adding and listing bookmarks.


def test_an_empty_list_says_so(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert "No bookmarks yet." in response.text


def test_add_stores_redirects_and_flashes(app: Flask, client: FlaskClient) -> None:
    response = add(client, "  https://flask.palletsprojects.com/  ", "  Flask  ")

    assert response.status_code == 303, response.text
    assert response.location == "/"
    session = client.get_cookie("session")
    assert session is not None
    assert session.same_site == "Lax"  # not sent along from other sites' posts
    assert stored(app) == [("https://flask.palletsprojects.com/", "Flask")]
    page = client.get("/").text
    assert "Saved “Flask”." in page
    assert '<a href="https://flask.palletsprojects.com/"' in page


def test_list_is_newest_first(client: FlaskClient) -> None:
    add(client, "https://example.com/old", "Older one")
    add(client, "https://example.com/new", "Newer one")

    assert titles(client.get("/").text) == ["Newer one", "Older one"]


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("http://example.com/", "Plain HTTP"),
        ("https://example.com/", "x"),
        ("https://example.com/", "x" * 200),
        ("https://example.com/" + "a" * 1980, "URL of 2,000 characters"),
    ],
    ids=["http", "title-1", "title-200", "url-2000"],
)
def test_valid_bookmark_is_stored(
    app: Flask, client: FlaskClient, url: str, title: str
) -> None:
    response = add(client, url, title)

    assert response.status_code == 303, response.text
    assert stored(app) == [(url, title)]


def test_the_biggest_bookmark_fits_under_the_body_limit(
    config: dict[str, object],
) -> None:
    """A URL and a title at their limits, each character 4 bytes in UTF-8 and
    percent-encoded, and the form's CSRF token: the biggest honest post."""
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    url = "https://example.com/" + "\N{SNAKE}" * 1980
    title = "\N{SNAKE}" * 200
    token = csrf_token(client.get("/").text)

    response = client.post(
        "/add", data={"url": url, "title": title, "csrf_token": token}
    )

    assert response.status_code == 303, response.text
    assert stored(app) == [(url, title)]


def test_titles_are_escaped(app: Flask, client: FlaskClient) -> None:
    response = add(client, "https://example.com/", "<script>alert(1)</script>")
    assert response.status_code == 303, response.text

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/").text
    assert stored(app) == [("https://example.com/", "<script>alert(1)</script>")]


def test_the_list_takes_bookmarks_up_to_its_cap_then_refuses_with_a_409(
    config: dict[str, object],
) -> None:
    app = create_app({**config, "BOOKMARKS_MAX": 3})
    client = app.test_client()
    for n in range(3):  # the third: exactly at the cap
        added = add(client, f"https://example.com/{n}", f"Link {n}")
        assert added.status_code == 303, added.text

    refused = add(client, "https://example.com/more", "One too many")

    assert refused.status_code == 409, refused.text
    form = BeautifulSoup(refused.text, "html.parser").select_one("form")
    assert form is not None
    errors = [p.get_text() for p in form.select(".error")]
    assert errors == ["The list is full: 3 bookmarks at most."]
    # What the visitor typed is still in the form, as for any other error.
    typed = {name: form.select_one(f"input[name={name}]") for name in ("url", "title")}
    assert {name: field and field.get("value") for name, field in typed.items()} == {
        "url": "https://example.com/more",
        "title": "One too many",
    }
    assert stored(app) == [(f"https://example.com/{n}", f"Link {n}") for n in range(3)]


def test_the_list_holds_1000_bookmarks_by_default(config: dict[str, object]) -> None:
    app = create_app(config)
    with app.app_context():
        db.session.add_all(
            Bookmark(url=f"https://example.com/{n}", title=f"Link {n}")
            for n in range(999)
        )
        db.session.commit()
    client = app.test_client()

    last = add(client, "https://example.com/last", "The 1,000th")
    refused = add(client, "https://example.com/more", "One too many")

    assert last.status_code == 303, last.text
    assert refused.status_code == 409, refused.text
    errors = BeautifulSoup(refused.text, "html.parser").select("form .error")
    assert [p.get_text() for p in errors] == [
        "The list is full: 1,000 bookmarks at most."
    ]
    assert len(stored(app)) == 1_000


def form_of(size: int) -> str:
    """A valid bookmark as a urlencoded form, padded to `size` bytes."""
    body = "url=https%3A%2F%2Fexample.com%2F&title=Padded&pad="
    return body + "x" * (size - len(body))


def test_a_body_at_the_32_kib_limit_is_read(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/add",
        data=form_of(32 * 1024),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 303, response.text
    assert stored(app) == [("https://example.com/", "Padded")]


def test_a_body_one_byte_over_the_limit_is_a_413_page(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/add",
        data=form_of(32 * 1024 + 1),
        content_type="application/x-www-form-urlencoded",
    )

    assert_error_page(response, 413, RequestEntityTooLarge.description)
    assert stored(app) == []


def test_the_cap_holds_when_bookmarks_are_added_at_once(
    config: dict[str, object],
) -> None:
    """16 posts at once on one app, as a threaded server serves them, each on a
    database connection of its own, as each gunicorn worker has: room for 4."""
    app = create_app({**config, "BOOKMARKS_MAX": 4})
    start = threading.Barrier(16)

    def post(n: int) -> tuple[int, str]:
        client = app.test_client()
        start.wait(timeout=30)  # all at once, not one by one
        response = add(client, f"https://example.com/{n}", f"Link {n}")
        return response.status_code, response.text

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(post, range(16)))

    statuses = sorted(status for status, _ in answers)
    unexpected = [text for status, text in answers if status not in {303, 409}]
    assert statuses == [303] * 4 + [409] * 12, unexpected
    refusals = [text for status, text in answers if status == 409]
    assert all("The list is full: 4 bookmarks at most." in text for text in refusals)
    assert len(stored(app)) == 4


BAD_URL = "The URL must be a web address starting with http(s)://."
BAD_TITLE = "The title must be 1 to 200 printable characters."


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({"url": "javascript:alert(1)", "title": "XSS"}, [BAD_URL]),
        ({"url": "ftp://example.com/file", "title": "FTP"}, [BAD_URL]),
        ({"url": "example.com", "title": "No scheme"}, [BAD_URL]),
        ({"url": "https://", "title": "No host"}, [BAD_URL]),
        ({"url": "http://[::1", "title": "Broken IPv6"}, [BAD_URL]),
        ({"url": "https://exa mple.com/", "title": "Space"}, [BAD_URL]),
        ({"url": "https://example.com/" + "a" * 1981, "title": "2,001"}, [BAD_URL]),
        ({"url": "https://example.com/", "title": ""}, [BAD_TITLE]),
        ({"url": "https://example.com/", "title": "   "}, [BAD_TITLE]),
        ({"url": "https://example.com/", "title": "x" * 201}, [BAD_TITLE]),
        ({"url": "https://example.com/", "title": "bell\x07"}, [BAD_TITLE]),
        ({"title": "Missing URL"}, [BAD_URL]),
        ({}, [BAD_URL, BAD_TITLE]),
    ],
    ids=[
        "javascript",
        "ftp",
        "no-scheme",
        "no-host",
        "broken-ipv6",
        "space",
        "url-2001",
        "title-empty",
        "title-blank",
        "title-201",
        "title-control",
        "url-missing",
        "both-missing",
    ],
)
def test_bad_input_is_a_400_and_stores_nothing(
    app: Flask, client: FlaskClient, data: dict[str, str], messages: list[str]
) -> None:
    response = client.post("/add", data=data)

    assert response.status_code == 400, response.text
    form = BeautifulSoup(response.text, "html.parser").select_one("form")
    assert form is not None, response.text
    assert form.get("action") == "/add"
    assert [p.get_text() for p in form.select(".error")] == messages
    # What was typed comes back (a field that was not sent comes back empty).
    url = form.select_one("input[name=url]")
    assert url is not None and url.get("value", "") == data.get("url", "").strip()
    assert stored(app) == []


def test_bad_input_keeps_what_was_typed_above_the_newest_bookmarks(
    config: dict[str, object],
) -> None:
    client = create_app({**config, "BOOKMARKS_PER_PAGE": 2}).test_client()
    for n in range(3):
        add(client, f"https://example.com/{n}", f"Link {n}")

    # The list under the form starts at the newest, whatever the query says.
    response = client.post(
        "/add?page=2", data={"url": "ftp://example.com/", "title": "Keep me"}
    )

    assert response.status_code == 400, response.text
    assert 'value="ftp://example.com/"' in response.text
    assert 'value="Keep me"' in response.text
    assert titles(response.text) == ["Link 2", "Link 1"]


def test_csrf_rejects_a_post_without_the_token_and_accepts_one_with_it(
    config: dict[str, object],
) -> None:
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()

    response = add(client, "https://example.com/", "No token")
    assert_error_page(response, 400, "The CSRF token is missing.")
    assert stored(app) == []

    token = csrf_token(client.get("/").text)
    response = client.post(
        "/add",
        data={"url": "https://example.com/", "title": "Token", "csrf_token": token},
    )
    assert response.status_code == 303, response.text
    assert stored(app) == [("https://example.com/", "Token")]


def test_a_multipart_form_is_stored_like_any_other(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/add",
        data={"url": "https://example.com/", "title": "Multipart"},
        content_type="multipart/form-data",
    )

    assert response.status_code == 303, response.text
    assert stored(app) == [("https://example.com/", "Multipart")]


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nhttps://example.com/",
        b'Content-Disposition: form-data; filename="f.txt"\r\n\r\ndata',
    ],
    ids=["field", "file"],
)
def test_a_multipart_part_with_no_name_is_a_400_page(
    config: dict[str, object], part: bytes
) -> None:
    """Werkzeug files it under the key None, where the CSRF check would fail."""
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    response = app.test_client().post(
        "/add",
        data=b"--B\r\n" + part + b"\r\n--B--\r\n",
        content_type="multipart/form-data; boundary=B",
    )

    assert_error_page(response, 400, "Every part of a multipart form needs a name.")
    assert stored(app) == []


class ServerError(Exception):
    """What gunicorn raises from inside a read of a malformed chunked body."""


class MalformedBody:
    """The server's input stream on a malformed chunked body."""

    def read(self, size: int = -1) -> bytes:
        raise ServerError("Invalid chunk size")


def test_a_body_the_server_fails_to_read_is_a_400_page(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/add",
        data="url=https%3A%2F%2Fexample.com%2F&title=Lost",  # its Content-Length
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": MalformedBody()},
    )

    assert_error_page(response, 400, BadRequest.description)
    assert stored(app) == []


def test_the_body_is_read_up_to_its_content_length_only(
    app: Flask, client: FlaskClient
) -> None:
    body = b"url=https%3A%2F%2Fexample.com%2F&title=Kept"
    response = client.post(
        "/add",
        data=body,  # sets the Content-Length
        content_type="application/x-www-form-urlencoded",
        # What follows on the connection is the next request's, not this form's.
        environ_overrides={"wsgi.input": io.BytesIO(body + b"+and+more")},
    )

    assert response.status_code == 303, response.text
    assert stored(app) == [("https://example.com/", "Kept")]


@pytest.mark.parametrize(
    ("host", "extra", "message"),
    [
        ("a..b", {}, BadRequest.description),  # no valid host name
        (
            "evil.example",
            {"TRUSTED_HOSTS": ["localhost"]},
            "Host 'evil.example' is not trusted.",
        ),
    ],
    ids=["malformed", "untrusted"],
)
def test_a_bad_host_header_is_a_plain_400_with_no_links(
    config: dict[str, object], host: str, extra: dict[str, object], message: str
) -> None:
    """No URL can be built for such a host: no page with links either."""
    client = create_app({**config, **extra}).test_client()

    response = client.get("/", headers={"Host": host})

    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == f"400 Bad Request: {message}"


NOT_FOUND = NotFound.description
NOT_ALLOWED = MethodNotAllowed.description
NO_SUCH_PAGE = "There is no such page."


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?page=abc", NO_SUCH_PAGE),
        ("?page=0", NO_SUCH_PAGE),
        ("?page=-1", NO_SUCH_PAGE),
        ("?page=" + "9" * 30, NO_SUCH_PAGE),
        ("?page=2", NO_SUCH_PAGE),  # past the last page
    ],
)
def test_bad_page_number_is_a_404_page(
    client: FlaskClient, query: str, message: str
) -> None:
    add(client, "https://example.com/", "Only one")

    response = client.get(f"/{query}")

    assert_error_page(response, 404, message)


def test_a_ten_digit_page_is_a_404_whatever_the_page_size(
    config: dict[str, object],
) -> None:
    # At 10**9 a page, page 9,999,999,999 would start past SQLite's 64-bit
    # OFFSET: the query would fail with a 500.
    client = create_app({**config, "BOOKMARKS_PER_PAGE": 10**9}).test_client()

    assert_error_page(client.get("/?page=" + "9" * 10), 404, NO_SUCH_PAGE)


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/no-such-page", 404, NOT_FOUND),
        ("GET", "/apis", 404, NOT_FOUND),  # not under /api/
        ("GET", "/add", 405, NOT_ALLOWED),
    ],
)
def test_html_errors_are_the_apps_own_page(
    client: FlaskClient, method: str, path: str, status: int, message: str
) -> None:
    assert_error_page(client.open(path, method=method), status, message)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/add", {"POST", "OPTIONS"}), ("/api/about", {"GET", "HEAD", "OPTIONS"})],
)
def test_a_405_says_which_methods_are_allowed(
    client: FlaskClient, path: str, allowed: set[str]
) -> None:
    response = client.put(path)

    assert response.status_code == 405, response.text
    assert set(response.allow) == allowed


@pytest.mark.parametrize(
    ("method", "path", "status", "error", "message"),
    [
        ("POST", "/api/about", 405, "Method Not Allowed", NOT_ALLOWED),
        ("GET", "/api/no-such-thing", 404, "Not Found", NOT_FOUND),
        ("GET", "/api", 404, "Not Found", NOT_FOUND),
    ],
)
def test_api_errors_are_json(
    client: FlaskClient, method: str, path: str, status: int, error: str, message: str
) -> None:
    response = client.open(path, method=method)

    assert response.status_code == status, response.text
    assert response.json == {"error": error, "message": message}


# The factory argument, from the command line, and the middleware it adds.


APP_CALL = "bookmarks:create_app(trusted_proxies=1)"


@pytest.mark.usefixtures("flask_command")
def test_factory_argument_from_flask_app_option() -> None:
    # ScriptInfo is what `flask --app ...` uses: it parses the call's literal
    # arguments and calls the factory with them.
    app = ScriptInfo(app_import_path=APP_CALL).load_app()

    # The forwarded address counts only behind ProxyFix: the argument got through.
    response = app.test_client().get("/api/about", headers=FORWARDED)
    assert response.status_code == 200, response.text
    about = response.json
    assert about is not None
    assert about["client_addr"] == "203.0.113.7"


@pytest.mark.usefixtures("flask_command")
def test_flask_command_accepts_the_factory_call() -> None:
    # The real `flask` command group, run in this process.
    result = CliRunner().invoke(cli, ["--app", APP_CALL, "routes"])

    assert result.exit_code == 0, result.output
    assert "about.index" in result.output
    assert "/api/about" in result.output


@pytest.mark.parametrize(
    "forwarded_for",
    # The proxy appends the address it saw; with one trusted hop only that last
    # entry counts, so what a client wrote there itself is ignored.
    ["203.0.113.7", "198.51.100.66, 203.0.113.7"],
)
def test_proxy_headers_are_trusted_behind_a_proxy(
    config: dict[str, object], forwarded_for: str
) -> None:
    client = create_app(config, trusted_proxies=1).test_client()

    about = client.get(
        "/api/about",
        headers={**FORWARDED, "X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    ).json

    assert about == {
        "site_name": "Bookmarks",
        "client_addr": "203.0.113.7",
        "scheme": "https",
        "host": "bookmarks.example.org",
        "url": "https://bookmarks.example.org/shelf/api/about",
    }


def test_forwarded_prefix_reaches_url_for(config: dict[str, object]) -> None:
    client = create_app(config, trusted_proxies=1).test_client()

    page = client.get("/", headers=FORWARDED).text
    response = client.post(
        "/add",
        data={"url": "https://example.com/", "title": "Behind a proxy"},
        headers=FORWARDED,
    )

    assert 'action="/shelf/add"' in page
    assert 'href="/shelf/static/style.css"' in page
    # The redirect after saving goes back through the proxy, under its prefix.
    assert response.status_code == 303, response.text
    assert response.location == "/shelf/"


@pytest.mark.parametrize(
    ("trusted_proxies", "client_addr", "scheme"),
    # Each proxy appends what it saw; the app trusts the last n entries and
    # takes the first of them, so n must match the proxies really there.
    [
        (0, "10.0.0.2", "http"),
        (1, "192.0.2.3", "https"),
        (2, "192.0.2.2", "http"),
        (3, "192.0.2.1", "https"),
    ],
)
def test_client_address_and_scheme_come_from_the_trusted_hops(
    config: dict[str, object], trusted_proxies: int, client_addr: str, scheme: str
) -> None:
    client = create_app(config, trusted_proxies=trusted_proxies).test_client()

    response = client.get(
        "/api/about",
        headers={
            "X-Forwarded-For": "192.0.2.1, 192.0.2.2, 192.0.2.3",
            "X-Forwarded-Proto": "https, http, https",
        },
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )

    assert response.status_code == 200, response.text
    assert response.json is not None
    assert response.json["client_addr"] == client_addr
    assert response.json["scheme"] == scheme


def test_proxy_headers_are_ignored_without_a_proxy(client: FlaskClient) -> None:
    about = client.get(
        "/api/about", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"}
    ).json

    assert about == {
        "site_name": "Bookmarks",
        "client_addr": "10.0.0.2",
        "scheme": "http",
        "host": "localhost",
        "url": "http://localhost/api/about",
    }
    assert 'action="/add"' in client.get("/", headers=FORWARDED).text


@pytest.mark.usefixtures("flask_command")
def test_flask_routes_lists_the_blueprints(runner: FlaskCliRunner) -> None:
    # The blueprints are registered inside the factory, so every app has them.
    result = runner.invoke(cli, ["routes"])

    assert result.exit_code == 0, result.output
    for endpoint in ("bookmarks.index", "bookmarks.add", "about.index"):
        assert endpoint in result.output
