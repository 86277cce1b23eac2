"""SQLAlchemy in Flask: one suite, run over the four ways and two databases.

Every test that takes `app` runs eight times: SQLite and PostgreSQL, each
with DB_STYLE flask_sqlalchemy, declarative, imperative and core (the
fixtures are in conftest.py). Each test gets an empty database of its own,
but for the few that only read: they share an app on a journal of one entry.
"""

from __future__ import annotations

import functools
import io
import re
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy import Engine
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import Table
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import default_exceptions
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.routing import Rule
from werkzeug.test import Client
from werkzeug.test import TestResponse

from journal import create_app
from journal import MISSING_KEY
from journal import STYLES
from journal import tables
from journal.core import CoreStore
from journal.store import current_store
from journal.store import DuplicateTitle
from journal.store import Page
from journal.store import utcnow


def stored(app: Flask) -> list[tuple[int, str, str]]:
    """The rows in the database, read past the app with an engine of our own."""
    engine = create_engine(app.config["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, title, body FROM entry ORDER BY id")
            )
            return [(row.id, row.title, row.body) for row in rows]
    finally:
        engine.dispose()


def add_entry(app: Flask, title: str, body: str = "") -> int:
    with app.app_context():
        return current_store().add(title, body).id


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
    a link back to the journal."""
    assert response.status_code == status, response.text
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None
    name = default_exceptions[status]().name  # "Not Found", as Werkzeug says it
    assert soup.title.get_text() == f"{status} {name} · Journal"
    assert soup.h1 is not None, response.text
    assert soup.h1.get_text() == f"{status} {name}"
    description = soup.h1.find_next("p")
    assert description is not None, response.text
    assert description.get_text() == message  # whole: not within a longer text
    link = soup.find("a", string="Back to the journal")
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


# --- Creating and showing entries ----------------------------------------------


def test_workers_starting_together_on_a_new_database_all_start(
    make_app: Callable[..., Flask], database_url: str, style: str
) -> None:
    """Another worker creates the table between create_all()'s look and its CREATE."""
    with another_worker_creating_tables(database_url) as raced:
        app = make_app(style)

    assert raced == ["entry"]
    add_entry(app, "Started", "by a worker that lost the race")
    assert [row[1:] for row in stored(app)] == [
        ("Started", "by a worker that lost the race")
    ]


def test_the_tables_are_created_on_start_and_the_journal_is_empty(
    app: Flask, client: FlaskClient, style: str
) -> None:
    assert stored(app) == []
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert "No entries yet" in response.text
    assert f"Stored the <code>{style}</code> way" in response.text


def test_create_stores_the_entry_and_redirects_to_it(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/new", data={"title": "  First day  ", "body": "Rain."})
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/1"
    # The flash rides in the session cookie, sent on a link from elsewhere only.
    assert "SameSite=Lax" in response.headers["Set-Cookie"]
    assert stored(app) == [(1, "First day", "Rain.")]  # title stripped
    page = client.get("/1").text
    assert "Created “First day”." in page  # the flashed confirmation
    assert "Rain." in page


def test_the_new_entry_form_is_empty_and_limits_each_field(shared_app: Flask) -> None:
    response = shared_app.test_client().get("/new")
    assert response.status_code == 200, response.text
    form = BeautifulSoup(response.text, "html.parser").select_one("form[action='/new']")
    assert form is not None, response.text
    title = form.select_one("input[name='title']")
    body = form.select_one("textarea[name='body']")
    assert title is not None and body is not None, response.text
    assert (title.get("value"), title.get("maxlength")) == ("", "200")
    assert (body.get_text(), body.get("maxlength")) == ("", "10000")
    assert form.select(".error") == []


@pytest.fixture
def server_fourteen_hours_ahead() -> Iterator[None]:
    """The server's local time zone set to UTC+14 (POSIX TZ), so local time is
    never UTC, whatever the machine's zone."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "KIR-14")
        time.tzset()
        yield
    time.tzset()


@pytest.mark.usefixtures("server_fourteen_hours_ahead")
def test_the_created_time_is_stored_and_shown_in_utc(
    app: Flask, client: FlaskClient
) -> None:
    before = datetime.now(UTC).replace(tzinfo=None)
    entry_id = add_entry(app, "Timed")
    after = datetime.now(UTC).replace(tzinfo=None)
    with app.app_context():
        created = current_store().get_or_404(entry_id).created
    assert before <= created <= after
    response = client.get(f"/{entry_id}")
    assert f"{created:%Y-%m-%d %H:%M} UTC" in response.text


def test_index_lists_entries_newest_first(app: Flask, client: FlaskClient) -> None:
    add_entry(app, "Older")
    add_entry(app, "Newer")
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert response.text.index("Newer") < response.text.index("Older")
    assert 'href="/2"' in response.text


def test_show_escapes_the_entry(app: Flask, client: FlaskClient) -> None:
    entry_id = add_entry(app, "<script>alert(1)</script>", "<b>bold</b>")
    response = client.get(f"/{entry_id}")
    assert response.status_code == 200, response.text
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in response.text


def test_create_counts_a_browsers_crlf_line_break_once(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/new", data={"title": "t", "body": "a\r\n" * 5000})
    assert response.status_code == 303, response.text
    assert stored(app) == [(1, "t", "a\n" * 5000)]


def test_title_and_body_at_their_limits_are_accepted(
    app: Flask, client: FlaskClient
) -> None:
    # 200 characters, 400 bytes: PostgreSQL's VARCHAR(200) counts characters.
    response = client.post("/new", data={"title": "é" * 200, "body": "x" * 10_000})
    assert response.status_code == 303, response.text
    assert stored(app) == [(1, "é" * 200, "x" * 10_000)]


def test_the_largest_valid_form_fits_under_the_body_limit(
    make_app: Callable[..., Flask], style: str
) -> None:
    """MAX_CONTENT_LENGTH holds the largest form a browser can send valid: every
    character 4 bytes of UTF-8, 12 once URL-encoded, and the CSRF token."""
    app = make_app(style, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client.get("/new").text)
    form = {"csrf_token": token, "title": "🍵" * 200, "body": "🍵" * 10_000}
    assert len(urlencode(form)) > 120_000  # what the limit must hold
    response = client.post("/new", data=form)
    assert response.status_code == 303, response.text
    assert stored(app) == [(1, "🍵" * 200, "🍵" * 10_000)]


BODY_LIMIT = 128 * 1024  # MAX_CONTENT_LENGTH
FORM = b"title=Padded&body=&padding="


def test_a_body_of_exactly_the_limit_is_accepted(
    app: Flask, client: FlaskClient
) -> None:
    body = FORM + b"x" * (BODY_LIMIT - len(FORM))
    response = client.post(
        "/new", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 303, response.text
    assert stored(app) == [(1, "Padded", "")]


def test_a_body_one_byte_over_the_limit_is_the_413_page(
    app: Flask, client: FlaskClient
) -> None:
    body = FORM + b"x" * (BODY_LIMIT + 1 - len(FORM))
    response = client.post(
        "/new", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert_error_page(response, 413, RequestEntityTooLarge.description)
    assert stored(app) == []


def test_the_body_is_read_up_to_its_content_length_only(
    app: Flask, client: FlaskClient
) -> None:
    body = b"title=Kept&body=Short."
    response = client.post(
        "/new",
        data=body,  # sets the Content-Length
        content_type="application/x-www-form-urlencoded",
        # What follows on the connection is the next request's, not this form's.
        environ_overrides={"wsgi.input": io.BytesIO(body + b"+and+more")},
    )
    assert response.status_code == 303, response.text
    assert stored(app) == [(1, "Kept", "Short.")]


class ServerError(Exception):
    """What gunicorn raises while reading a malformed chunked body: no OSError."""


class MalformedBody:
    """The server's input stream on a malformed chunked body."""

    def read(self, size: int = -1) -> bytes:
        raise ServerError("Invalid chunk size")


def test_a_body_the_server_fails_to_read_is_the_400_page(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/new",
        data=b"title=Lost&body=",  # its Content-Length; the server cannot read it
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": MalformedBody()},
    )
    assert_error_page(response, 400, BadRequest.description)
    assert stored(app) == []


# --- The unique title: the database decides, nothing half-stored ----------------


def test_a_taken_title_is_a_409_with_the_form_and_stores_nothing(
    app: Flask, client: FlaskClient
) -> None:
    add_entry(app, "Monday", "first")
    response = client.post("/new", data={"title": " Monday ", "body": "second"})
    assert response.status_code == 409, response.text
    assert "There is already an entry titled “Monday”. Choose another title." in (
        response.text
    )
    soup = BeautifulSoup(response.text, "html.parser")
    form = soup.find("form", attrs={"method": "post", "action": "/new"})
    assert form is not None, response.text
    body = form.find("textarea", attrs={"name": "body"})
    assert body is not None and body.get_text() == "second"  # nothing typed is lost
    assert stored(app) == [(1, "Monday", "first")]
    # The failed transaction was rolled back: the next one goes through.
    again = client.post("/new", data={"title": "Tuesday", "body": ""})
    assert again.status_code == 303, again.text
    assert [title for _, title, _ in stored(app)] == ["Monday", "Tuesday"]


def test_the_store_rolls_back_a_refused_title_and_keeps_working(app: Flask) -> None:
    """In one app context (one session): the refused insert leaves no trace and
    no failed transaction behind, so the same session stores the next entry."""
    with app.app_context():
        store = current_store()
        store.add("Same", "kept")
        with pytest.raises(DuplicateTitle):
            store.add("Same", "refused")
        store.add("Other", "")
        titles = [entry.title for entry in store.page(1, 10).items]
    assert titles == ["Other", "Same"]
    # Ids may differ: a PostgreSQL sequence never gives back a number it handed out.
    assert [row[1:] for row in stored(app)] == [("Same", "kept"), ("Other", "")]


def test_titles_differing_only_in_case_are_different_entries(
    app: Flask, client: FlaskClient
) -> None:
    for title in ("Notes", "notes"):
        response = client.post("/new", data={"title": title, "body": ""})
        assert response.status_code == 303, response.text
    assert [title for _, title, _ in stored(app)] == ["Notes", "notes"]


# --- At most ENTRIES_MAX entries: the database counts --------------------------------

FULL = "The journal is full: 3 entries at most. Delete one to make room."


def test_the_journal_takes_entries_up_to_its_cap_then_refuses_with_a_409(
    make_app: Callable[..., Flask], style: str
) -> None:
    app = make_app(style, ENTRIES_MAX=3)
    client = app.test_client()
    for title in ["One", "Two", "Three"]:  # the third: exactly at the cap
        response = client.post("/new", data={"title": title, "body": ""})
        assert response.status_code == 303, response.text
    refused = client.post("/new", data={"title": "Four", "body": "One too many."})
    assert refused.status_code == 409, refused.text
    form = BeautifulSoup(refused.text, "html.parser").select_one("form[action='/new']")
    assert form is not None, refused.text
    assert [p.get_text() for p in form.select(".error")] == [FULL]
    # What the visitor typed is still in the form, as for any other error.
    title = form.select_one("input[name='title']")
    body = form.select_one("textarea[name='body']")
    assert title is not None and title.get("value") == "Four"
    assert body is not None and body.get_text() == "One too many."
    assert [row[1] for row in stored(app)] == ["One", "Two", "Three"]
    # The refused add left nothing open: a delete makes room for it.
    deleted = client.post(f"/{stored(app)[0][0]}/delete")
    assert deleted.status_code == 303, deleted.text
    again = client.post("/new", data={"title": "Four", "body": "One too many."})
    assert again.status_code == 303, again.text
    assert [row[1] for row in stored(app)] == ["Two", "Three", "Four"]


def test_the_journal_holds_a_thousand_entries_by_default(
    app: Flask, client: FlaskClient, engine: Engine
) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(tables.entry_table),
            [
                {"title": f"Entry {n}", "body": "", "created": utcnow()}
                for n in range(999)
            ],
        )
    last = client.post("/new", data={"title": "The thousandth", "body": ""})
    assert last.status_code == 303, last.text
    refused = client.post("/new", data={"title": "One more", "body": ""})
    assert refused.status_code == 409, refused.text
    full = "The journal is full: 1,000 entries at most. Delete one to make room."
    assert full in refused.text
    assert len(stored(app)) == 1_000


def test_the_cap_holds_when_entries_are_added_at_once(
    make_app: Callable[..., Flask], style: str
) -> None:
    """Eight posts at once, each on a database connection of its own, as a
    threaded server or several gunicorn workers send them: room for three."""
    app = make_app(style, ENTRIES_MAX=3)
    start = threading.Barrier(8)

    def post(n: int) -> TestResponse:
        client = app.test_client()
        start.wait(timeout=30)  # all at once, not one by one
        return client.post("/new", data={"title": f"Racer {n}", "body": ""})

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(post, range(8)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [303] * 3 + [409] * 5, [r.text for r in responses]
    refusals = [r.text for r in responses if r.status_code == 409]
    assert all(FULL in text for text in refusals), refusals
    assert len(stored(app)) == 3


# --- Bad input -------------------------------------------------------------------

BAD_FORMS = [
    pytest.param({"body": "no title"}, "Give the entry a title.", id="title-missing"),
    pytest.param(
        {"title": " \t\n ", "body": ""}, "Give the entry a title.", id="blank"
    ),
    pytest.param(
        {"title": "x" * 201, "body": ""},
        "Keep the title to 200 characters (this one has 201).",
        id="title-too-long",
    ),
    pytest.param({"title": "t"}, "The form sent no body field.", id="body-missing"),
    pytest.param(
        {"title": "t", "body": "x" * 10_001},
        "Keep the body to 10,000 characters (this one has 10,001).",
        id="body-too-long",
    ),
    # PostgreSQL refuses NUL in text: without the check, a driver error (500).
    pytest.param(
        {"title": "a\x00b", "body": ""},
        "The title must not contain NUL characters.",
        id="title-nul",
    ),
    pytest.param(
        {"title": "t", "body": "a\x00b"},
        "The body must not contain NUL characters.",
        id="body-nul",
    ),
]


@pytest.mark.parametrize(("form", "message"), BAD_FORMS)
def test_create_rejects_bad_input_with_400_and_stores_nothing(
    app: Flask, client: FlaskClient, form: dict[str, str], message: str
) -> None:
    response = client.post("/new", data=form)
    assert response.status_code == 400, response.text
    page = BeautifulSoup(response.text, "html.parser").select_one("form[action='/new']")
    assert page is not None, response.text  # the form again, to correct
    assert [p.get_text() for p in page.select(".error")] == [message]
    # What was typed is still there (the title as it would be stored).
    title = page.select_one("input[name='title']")
    body = page.select_one("textarea[name='body']")
    assert title is not None and title.get("value") == form.get("title", "").strip()
    assert body is not None and body.get_text() == form.get("body", "")
    assert stored(app) == []


NO_SUCH_ENTRY = "There is no entry 999. It may have been deleted."
NO_ROUTE = NotFound.description  # Werkzeug's words, on the app's page


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/999", NO_SUCH_ENTRY),
        ("POST", "/999/delete", NO_SUCH_ENTRY),
        # Past PostgreSQL's 32-bit INTEGER and SQLite's 64-bit one: no entry,
        # and no driver error on the way.
        ("GET", f"/{2**31}", f"There is no entry {2**31}."),
        ("POST", f"/{2**31}/delete", f"There is no entry {2**31}."),
        ("GET", f"/{2**64}", f"There is no entry {2**64}."),
        ("POST", f"/{2**64}/delete", f"There is no entry {2**64}."),
        ("GET", "/abc", NO_ROUTE),  # not an int: no route matches
        ("GET", "/-1", NO_ROUTE),
    ],
)
def test_unknown_entry_is_the_apps_404_page(
    shared_app: Flask, method: str, path: str, message: str
) -> None:
    client = shared_app.test_client()
    assert_error_page(client.open(path, method=method), 404, message)


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nv",
        b'Content-Disposition: form-data; filename="a.txt"\r\n\r\nv',
    ],
    ids=["field", "file"],
)
def test_a_multipart_part_without_a_name_is_the_400_page(
    make_app: Callable[..., Flask], style: str, part: bytes
) -> None:
    """With CSRF on, as deployed: the token check cannot read such a part (a 500)."""
    app = make_app(style, WTF_CSRF_ENABLED=True)
    response = app.test_client().post(
        "/new",
        data=b"--B\r\n" + part + b"\r\n--B--\r\n",
        content_type="multipart/form-data; boundary=B",
    )
    assert_error_page(response, 400, "Every part of a multipart form needs a name.")
    assert stored(app) == []


def test_a_multipart_form_with_named_parts_is_stored(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/new",
        data={"title": "Sent as multipart", "body": "Fine."},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.text
    assert stored(app) == [(1, "Sent as multipart", "Fine.")]


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
    make_app: Callable[..., Flask],
    style: str,
    host: str,
    extra: dict[str, object],
    message: str,
) -> None:
    """No URL can be built for such a host: no page with links either."""
    client = make_app(style, **extra).test_client()
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == f"400 Bad Request: {message}"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", f"/{2**31 - 1}"), ("POST", f"/{2**31 - 1}/delete")]
)
def test_the_largest_id_is_looked_up_not_refused(
    shared_app: Flask, method: str, path: str
) -> None:
    response = shared_app.test_client().open(path, method=method)
    assert_error_page(
        response, 404, f"There is no entry {2**31 - 1}. It may have been deleted."
    )


# --- Deleting --------------------------------------------------------------------


def test_delete_removes_the_row_and_returns_to_the_list(
    app: Flask, client: FlaskClient
) -> None:
    keep = add_entry(app, "Keep")
    drop = add_entry(app, "Drop")
    response = client.post(f"/{drop}/delete")
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/"
    assert stored(app) == [(keep, "Keep", "")]
    assert "Deleted “Drop”." in client.get("/").text
    again = client.post(f"/{drop}/delete")  # a second tab, a double click
    assert_error_page(
        again, 404, f"There is no entry {drop}. It may have been deleted."
    )


def test_delete_is_post_only(app: Flask, client: FlaskClient) -> None:
    entry_id = add_entry(app, "Safe")
    response = client.get(f"/{entry_id}/delete")
    assert_error_page(response, 405, "The method is not allowed for the requested URL.")
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert len(stored(app)) == 1


def test_a_deleted_title_can_be_used_again(app: Flask, client: FlaskClient) -> None:
    entry_id = add_entry(app, "Again")
    client.post(f"/{entry_id}/delete")
    response = client.post("/new", data={"title": "Again", "body": ""})
    assert response.status_code == 303, response.text


# --- Pages of entries ---------------------------------------------------------------


def test_the_list_is_paged_twenty_at_a_time(app: Flask, client: FlaskClient) -> None:
    for number in range(1, 26):
        add_entry(app, f"Entry {number:02}")
    first = client.get("/")
    assert first.status_code == 200, first.text
    soup = BeautifulSoup(first.text, "html.parser")
    titles = [a.get_text() for a in soup.select("main li a")]
    assert titles == [f"Entry {n:02}" for n in range(25, 5, -1)]
    assert "Page 1 of 2" in first.text
    assert soup.find("a", rel="next")["href"] == "/?page=2"  # type: ignore[index]
    assert soup.find("a", rel="prev") is None
    second = client.get("/?page=2")
    assert second.status_code == 200, second.text
    soup = BeautifulSoup(second.text, "html.parser")
    titles = [a.get_text() for a in soup.select("main li a")]
    assert titles == [f"Entry {n:02}" for n in range(5, 0, -1)]
    assert soup.find("a", rel="prev")["href"] == "/?page=1"  # type: ignore[index]
    assert soup.find("a", rel="next") is None


def test_a_store_page_is_the_one_asked_for_newest_first(
    app: Flask, engine: Engine
) -> None:
    """Newest by created time, then by the larger id; the number and size asked
    for, not ?page= (which Flask-SQLAlchemy's paginate() reads when not given)."""
    noon = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    rows = [(1, "Newest", 12), (2, "Oldest", 9), (3, "Tie, lower id", 10),
            (4, "Tie, higher id", 10)]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(
            insert(tables.entry_table),
            [
                {
                    "id": id_,
                    "title": title,
                    "body": "",
                    "created": noon.replace(hour=hour),
                }
                for id_, title, hour in rows
            ],
        )
    with app.app_context():
        pages = [current_store().page(number, 2) for number in (1, 2, 3)]
    assert [[entry.title for entry in page.items] for page in pages] == [
        ["Newest", "Tie, higher id"],
        ["Tie, lower id", "Oldest"],
        [],
    ]
    assert [(p.number, p.per_page, p.total, p.pages) for p in pages] == [
        (1, 2, 4, 2), (2, 2, 4, 2), (3, 2, 4, 2),
    ]  # fmt: skip


def test_an_empty_journal_is_one_empty_page_of_no_entries(app: Flask) -> None:
    with app.app_context():
        page = current_store().page(1, 20)
    assert page == Page([], 1, 20, 0)
    assert (page.pages, page.has_prev, page.has_next) == (1, False, False)


@pytest.mark.parametrize(
    ("number", "status", "message"),
    [
        ("abc", 400, "The page number must be a whole number from 1 up."),
        ("0", 400, "The page number must be a whole number from 1 up."),
        ("-1", 400, "The page number must be a whole number from 1 up."),
        ("", 400, "The page number must be a whole number from 1 up."),
        ("1.5", 400, "The page number must be a whole number from 1 up."),
        ("\u0663", 400, "The page number must be a whole number from 1 up."),
        ("2", 404, "There is no page 2."),
        ("0002", 404, "There is no page 2."),
        ("10", 404, "There is no page 10."),  # trailing zeros count
        # Beyond any page 32-bit ids can fill: refused before any query, so
        # no offset overflows the driver.
        ("9" * 30, 404, f"There is no page {'9' * 30}."),
        ("9" * 5000, 404, f"There is no page {'9' * 5000}."),  # past int()'s limit
    ],
)
def test_a_page_number_that_names_no_page_is_refused(
    shared_app: Flask, number: str, status: int, message: str
) -> None:
    """On the journal of one entry that shared_app holds: there is a page 1."""
    client = shared_app.test_client()
    response = client.get("/", query_string={"page": number})
    assert_error_page(response, status, message)


# --- Sessions and connections ------------------------------------------------------


def test_every_request_gives_its_connection_back(
    app: Flask, client: FlaskClient, engine: Engine
) -> None:
    """A connection kept after a request holds its transaction open; on
    PostgreSQL that lock makes a later DROP TABLE wait forever."""
    entry_id = add_entry(app, "Taken")
    requests = [
        client.post("/new", data={"title": "Taken", "body": ""}),  # 409
        client.post(f"/{entry_id}/delete"),
        client.get("/999"),  # 404
        client.get("/"),  # a read last: its transaction is still open unless closed
    ]
    assert [r.status_code for r in requests] == [409, 303, 404, 200]
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("style", ["declarative", "imperative"])
def test_the_scoped_session_is_removed_when_the_app_context_ends(app: Flask) -> None:
    with app.app_context():
        store = current_store()
        session = store.session  # type: ignore[attr-defined]
        store.page(1, 10)
        assert session.registry.has()  # this thread's session is in use
    assert not session.registry.has()  # teardown_appcontext removed it


def test_entries_written_one_way_are_read_by_every_other(
    make_app: Callable[..., Flask],
) -> None:
    """The four ways describe the same table: one database serves them all."""
    apps = {style: make_app(style) for style in STYLES}
    for style, app in apps.items():
        add_entry(app, f"by {style}", style)
    for style, app in apps.items():
        page = app.test_client().get("/").text
        assert all(f"by {writer}" in page for writer in STYLES), style


def test_the_core_way_reflects_the_table_the_database_has(
    make_app: Callable[..., Flask], database_url: str
) -> None:
    """A column that no code declares (added by someone else's migration) is
    seen by the reflected table, and every way keeps working beside it."""
    engine = create_engine(database_url)
    try:
        tables.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(
                text("ALTER TABLE entry ADD COLUMN mood VARCHAR(20) DEFAULT 'calm'")
            )
        core = make_app("core")
        with core.app_context():
            store = current_store()
            assert isinstance(store, CoreStore)
            assert store.entry is not tables.entry_table
            assert [c.name for c in store.entry.c] == [
                "id", "title", "body", "created", "mood",
            ]  # fmt: skip
            row = store.add("Reflected", "")
        assert row.mood == "calm"  # type: ignore[attr-defined]  # filled in by the database
        unique = inspect(engine).get_unique_constraints("entry")
        assert [u["column_names"] for u in unique] == [["title"]]
    finally:
        engine.dispose()
    for style in STYLES:
        response = make_app(style).test_client().get("/")
        assert "Reflected" in response.text, style


# --- Malformed requests, drawn by Hypothesis --------------------------------------
# What the Flask Cookbook's catalogue sends every example, here sent to each
# way on each database: any route, odd values, bodies of any type, bad hosts.

PREFIX = "/mounted/here"
NAMELESS_PART = (
    b"--B\r\nContent-Disposition: form-data\r\n\r\nv\r\n"
    b'--B\r\nContent-Disposition: form-data; name=""\r\n\r\nv\r\n--B--\r\n'
)
# Host headers no URL can be built for: empty or over-long labels.
BAD_HOSTS = ["a..b", "x" * 64 + ".example", ".", "x" * 300]
ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
ODD_VALUES = st.sampled_from(
    ["", "0", "-1", "1.5", "99999999999999999999", "..", "%00", "x" * 5000,
     "<script>", "' OR 1=1 --", "\u00e9\u2603", "null", "[]", "{}"]
)  # fmt: skip
TEXT = st.one_of(ODD_VALUES, st.text(max_size=40))
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "multipart/form-data",
     "text/plain", "application/xml", "application/octet-stream", ""]
)  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


def is_plain_get(rule: Rule) -> bool:
    return "GET" in (rule.methods or ()) and not rule.arguments


def input_names(app: Flask) -> list[str]:
    """The input names the app's own pages use: the likeliest to reach code."""
    client = app.test_client()
    names = {"id", "name", "page", "q"}
    for rule in app.url_map.iter_rules():
        if is_plain_get(rule) and rule.endpoint != "static":
            response = client.get(rule.rule, buffered=True)
            if response.mimetype != "text/html":
                continue
            soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
            for tag in soup.find_all(["input", "textarea", "select"]):
                name = tag.get("name")
                if isinstance(name, str):
                    names.add(name)
    return sorted(names)


@functools.cache
def body_strategies(fields: tuple[str, ...]) -> dict[str, st.SearchStrategy[Any]]:
    """What send() draws from, made once per set of names: Hypothesis checks a
    strategy when it first draws from it: strategies made anew for every request
    were checked every time, which doubled the cost of drawing."""
    names = st.sampled_from(fields)
    return {
        "query": st.dictionaries(names | st.text(max_size=10), TEXT, max_size=3),
        "kind": st.sampled_from(["none", "form", "json", "raw", "nameless"]),
        "form": st.dictionaries(names, TEXT, max_size=5),
        "json": JSON | st.dictionaries(names, JSON, max_size=5),
        "raw": st.binary(max_size=200),
        "host": st.sampled_from(BAD_HOSTS),
    }


def send(
    client: Client, method: str, path: str, draw: Any, fields: list[str]
) -> TestResponse:
    drawn = body_strategies(tuple(fields))
    query = draw(drawn["query"])
    kind = draw(drawn["kind"])
    kwargs: dict[str, Any] = {"query_string": query}
    if kind == "form":
        kwargs["data"] = draw(drawn["form"])
    elif kind == "json":
        kwargs["json"] = draw(drawn["json"])
    elif kind == "raw":
        kwargs["data"] = draw(drawn["raw"])
        kwargs["content_type"] = draw(CONTENT_TYPES)
    elif kind == "nameless":
        kwargs["data"] = NAMELESS_PART
        kwargs["content_type"] = "multipart/form-data; boundary=B"
    if draw(st.booleans()):
        kwargs["headers"] = {"Host": draw(drawn["host"])}
    return client.open(path, method=method, buffered=True, **kwargs)


def send_malformed(
    app: Flask, fields: list[str], draw: Any
) -> tuple[str, str, TestResponse]:
    """One drawn request to one of the app's routes, mounted under PREFIX
    (as the cookbook's gallery mounts every example)."""
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
    rule = draw(st.sampled_from(rules))
    methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}) or ["GET"]
    method = draw(st.sampled_from([*methods, "PUT", "DELETE"]))
    path = ARGUMENT.sub(lambda _: quote(draw(TEXT), safe=""), rule.rule)
    mounted = Client(DispatcherMiddleware(NotFound(), {PREFIX: app}))
    return method, path, send(mounted, method, PREFIX + path, draw, fields)


@pytest.fixture
def input_fields(app: Flask) -> list[str]:
    return input_names(app)


# The app is built once per test and reused across draws, on purpose. A
# quarter of the profile's draws for each of the eight ways and databases: the
# routes, forms and error handlers they fuzz are the same code in all eight
# (only the store differs), and the catalogue gives the default way on SQLite
# the whole budget.
@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    max_examples=max(settings.default.max_examples // 4, 1),
)
@given(data=st.data())
def test_every_style_survives_malformed_requests(
    app: Flask, input_fields: list[str], data: st.DataObject
) -> None:
    """The catalogue fuzzes the default style on SQLite; this, each on each database."""
    method, path, response = send_malformed(app, input_fields, data.draw)
    assert response.status_code < 500, (method, path, response.get_data()[:500])


# --- Configuration: DATABASE_URL and DB_STYLE --------------------------------------


@pytest.mark.parametrize("style", list(STYLES))
def test_the_default_database_is_sqlite_in_the_instance_folder(
    built: Callable[..., Flask],
    config: dict[str, object],
    instance_folder: Path,
    style: str,
) -> None:
    app = built({**config, "DB_STYLE": style})
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance_folder}/journal.sqlite"
    assert (instance_folder / "journal.sqlite").is_file()  # tables made on start
    add_entry(app, "Here")
    assert stored(app) == [(1, "Here", "")]
    restarted = built({**config, "DB_STYLE": style})  # the folder is there now
    assert stored(restarted) == [(1, "Here", "")]


def test_flask_database_url_and_flask_db_style_come_from_the_environment(
    built: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    monkeypatch.setenv("FLASK_DATABASE_URL", url)
    monkeypatch.setenv("FLASK_DB_STYLE", "core")
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-the-environment")
    app = built(None)  # no test config: as deployed
    assert app.config["DATABASE_URL"] == url
    with app.app_context():
        assert isinstance(current_store(), CoreStore)
    add_entry(app, "Moved")
    assert (tmp_path / "elsewhere.sqlite").is_file()
    assert stored(app) == [(1, "Moved", "")]


def test_the_instance_config_file_is_read(
    built: Callable[..., Flask], tmp_path: Path, instance_folder: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'configured.sqlite'}"
    instance_folder.mkdir()
    (instance_folder / "config.py").write_text(
        f"SECRET_KEY = 'from-the-file'\nDATABASE_URL = {url!r}\nDB_STYLE = 'core'\n"
    )
    app = built(None)  # no test config: as deployed
    assert app.config["SECRET_KEY"] == "from-the-file"
    with app.app_context():
        assert isinstance(current_store(), CoreStore)
    add_entry(app, "Configured")
    assert (tmp_path / "configured.sqlite").is_file()


@pytest.mark.parametrize(
    "test_config",
    [{"TESTING": True}, {"DEBUG": True}],
    ids=["testing", "debug"],
)
def test_testing_and_debug_start_without_a_secret(
    built: Callable[..., Flask], test_config: dict[str, object]
) -> None:
    """A development secret signs the session: the flash after a post shows."""
    client = built({**test_config, "WTF_CSRF_ENABLED": False}).test_client()
    response = client.post("/new", data={"title": "Signed", "body": ""})
    assert response.status_code == 303, response.text
    assert "Created “Signed”." in client.get("/1").text


@pytest.mark.parametrize(
    "test_config",
    [{}, {"SECRET_KEY": ""}, {"SECRET_KEY": 42}, {"TESTING": True, "SECRET_KEY": ""}],
    ids=["none", "empty", "not-a-string", "testing-but-empty"],
)
def test_a_missing_secret_stops_the_app_from_starting(
    built: Callable[..., Flask], test_config: dict[str, object]
) -> None:
    with pytest.raises(RuntimeError, match=re.escape(MISSING_KEY)):
        built(test_config)


def test_the_default_style_is_flask_sqlalchemy(
    built: Callable[..., Flask], config: dict[str, object]
) -> None:
    response = built(config).test_client().get("/")
    assert "Stored the <code>flask_sqlalchemy</code> way" in response.text


@pytest.mark.parametrize("style", ["orm", "", "Core", ["core"]])
def test_an_unknown_style_is_refused_at_start(
    config: dict[str, object], style: object
) -> None:
    message = (
        "Set DB_STYLE to one of flask_sqlalchemy, declarative, imperative, core,"
        f" not {style!r}."
    )
    with pytest.raises(RuntimeError, match=re.escape(message)):
        create_app({**config, "DB_STYLE": style})


# --- Forms under a prefix and with CSRF ----------------------------------------------


def test_links_and_redirects_work_under_a_mount_prefix(
    app: Flask, client: FlaskClient
) -> None:
    base = "http://localhost/journal-app/"
    response = client.post("/new", data={"title": "Mounted", "body": ""}, base_url=base)
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/journal-app/1"
    page = client.get("/1", base_url=base).text
    assert 'href="/journal-app/static/style.css"' in page
    assert 'action="/journal-app/1/delete"' in page


def test_csrf_rejects_a_post_without_the_token_and_accepts_one_with_it(
    make_app: Callable[..., Flask], style: str
) -> None:
    app = make_app(style, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    refused = client.post("/new", data={"title": "Forged", "body": ""})
    assert_error_page(refused, 400, "The CSRF token is missing.")
    assert stored(app) == []
    token = csrf_token(client.get("/new").text)
    response = client.post(
        "/new", data={"title": "Genuine", "body": "", "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    delete_token = csrf_token(client.get("/1").text)
    response = client.post("/1/delete", data={"csrf_token": delete_token})
    assert response.status_code == 303, response.text
    assert stored(app) == []
