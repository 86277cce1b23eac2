"""Using SQLite 3 with Flask: the connection helpers, the notes CRUD, concurrency."""

from __future__ import annotations

import http.client
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import default_exceptions
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.test import TestResponse

from notes import create_app
from notes import views
from notes.db import get_db
from notes.db import query_db


def stored_notes(app: Flask) -> list[tuple[int, str, str]]:
    with app.app_context():
        rows = query_db("SELECT id, title, body FROM note ORDER BY id")
        return [tuple(row) for row in rows]


def add_note(app: Flask, title: str, body: str = "", note_id: int | None = None) -> int:
    """Store a note directly, with the next id or the one given."""
    with app.app_context():
        db = get_db()
        with db:
            cursor = db.execute(
                "INSERT INTO note (id, title, body) VALUES (?, ?, ?)",
                (note_id, title, body),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


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
    assert soup.title.get_text() == f"{status} {name} · Notes"
    assert message in [p.get_text() for p in soup.select("main p")]
    link = soup.find("a", string="Back to the notes")
    assert link is not None, response.text
    assert link.get("href") == "/"


def flashes(response: TestResponse) -> list[str]:
    """The confirmations flashed at the top of a page."""
    soup = BeautifulSoup(response.text, "html.parser")
    return [p.get_text() for p in soup.select("p.flash")]


def form_shown(response: TestResponse) -> tuple[str, list[str], str, str]:
    """What a note form shows: where it posts, its error messages, and the
    title and body as filled in."""
    form = BeautifulSoup(response.text, "html.parser").select_one("form[method=post]")
    assert form is not None, response.text
    title = form.select_one("input[name=title]")
    body = form.select_one("textarea[name=body]")
    assert title is not None and body is not None, response.text
    errors = [p.get_text() for p in form.select(".error")]
    return str(form["action"]), errors, str(title.get("value")), body.get_text()


# --- The connection helpers -------------------------------------------------


def test_connection_is_reused_within_a_context_and_closed_after_teardown(
    app: Flask,
) -> None:
    with app.app_context():
        db = get_db()
        assert get_db() is db
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")
    with app.app_context():
        assert get_db() is not db


def test_database_file_is_in_the_instance_folder(instance_folder: Path) -> None:
    app = create_app({"TESTING": True})
    assert app.instance_path == str(instance_folder)
    assert app.config["DATABASE"] == os.path.join(instance_folder, "notes.sqlite")
    # Created with its tables by create_app(): no init step needed.
    assert (instance_folder / "notes.sqlite").is_file()
    assert stored_notes(app) == []


def test_connections_use_wal_a_busy_timeout_and_foreign_keys(app: Flask) -> None:
    with app.app_context():
        settings = {
            name: get_db().execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        }
    assert settings == {
        "journal_mode": "wal",
        "busy_timeout": 10_000,
        "foreign_keys": 1,
    }


def test_query_db_returns_all_rows_or_one_row_or_none(app: Flask) -> None:
    first = add_note(app, "First")
    add_note(app, "Second")
    with app.app_context():
        rows = query_db("SELECT title FROM note ORDER BY id")
        assert [row["title"] for row in rows] == ["First", "Second"]
        row = query_db("SELECT title FROM note WHERE id = ?", (first,), one=True)
        assert row is not None
        assert row["title"] == "First"
        assert query_db("SELECT * FROM note WHERE id = ?", (999,), one=True) is None
        assert query_db("SELECT * FROM note WHERE title = ?", ("none",)) == []


def test_query_db_binds_values_instead_of_running_them(app: Flask) -> None:
    add_note(app, "'); DROP TABLE note; --")
    with app.app_context():
        row = query_db(
            "SELECT title FROM note WHERE title = ?",
            ("'); DROP TABLE note; --",),
            one=True,
        )
    assert row is not None  # stored and found as plain text
    assert len(stored_notes(app)) == 1  # and the table is still there


def test_restarting_the_app_keeps_the_notes(
    app: Flask, config: dict[str, object]
) -> None:
    add_note(app, "Still here")
    assert [title for _, title, _ in stored_notes(create_app(config))] == ["Still here"]


def test_init_db_command_wipes_the_notes(app: Flask, runner: FlaskCliRunner) -> None:
    add_note(app, "Doomed")
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Wiped" in result.output
    assert app.config["DATABASE"] in result.output
    assert stored_notes(app) == []


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("", "body"),
        ("x" * 201, ""),
        ("ok", "x" * 10_001),
    ],
)
def test_the_database_itself_refuses_a_bad_row(
    app: Flask, title: str, body: str
) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        add_note(app, title, body)
    assert stored_notes(app) == []


# --- The notes pages --------------------------------------------------------


def test_index_lists_notes_newest_first(app: Flask, client: FlaskClient) -> None:
    add_note(app, "Older")
    add_note(app, "Newer")
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert response.text.index("Newer") < response.text.index("Older")


def test_index_says_when_there_are_no_notes(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert "No notes yet" in response.text


def test_new_note_form_is_empty_and_limits_what_can_be_typed(
    client: FlaskClient,
) -> None:
    response = client.get("/new")
    assert response.status_code == 200, response.text
    assert form_shown(response) == ("/new", [], "", "")  # no complaints yet
    form = BeautifulSoup(response.text, "html.parser").select_one("form")
    assert form is not None, response.text
    limits = {field["name"]: field.get("maxlength") for field in form.select("[name]")}
    assert limits == {"csrf_token": None, "title": "200", "body": "10000"}


def test_create_stores_the_note_and_redirects_to_it(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/new", data={"title": "  Shopping  ", "body": "Eggs"})
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/1"
    # The flash rides in the session cookie, never sent along from other sites.
    assert "SameSite=Lax" in response.headers["Set-Cookie"]
    assert stored_notes(app) == [(1, "Shopping", "Eggs")]  # title stripped
    page = client.get("/1")
    assert flashes(page) == ["Created “Shopping”."]
    assert "Eggs" in page.text


def test_create_counts_a_browsers_crlf_line_break_once(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/new", data={"title": "t", "body": "a\r\n" * 5000})
    assert response.status_code == 303, response.text
    assert stored_notes(app) == [(1, "t", "a\n" * 5000)]


def test_show_escapes_the_note(app: Flask, client: FlaskClient) -> None:
    note_id = add_note(app, "<script>alert(1)</script>")
    response = client.get(f"/{note_id}")
    assert response.status_code == 200, response.text
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


@pytest.mark.parametrize("note_id", [2**62, 2**63 - 1], ids=["2**62", "2**63-1"])
def test_a_note_with_a_large_id_is_shown(
    app: Flask, client: FlaskClient, note_id: int
) -> None:
    add_note(app, "Far away", "still here", note_id=note_id)
    response = client.get(f"/{note_id}")
    assert response.status_code == 200, response.text
    assert "Far away" in response.text
    assert "still here" in response.text


def test_edit_form_is_filled_in_and_saving_updates_the_row(
    app: Flask, client: FlaskClient
) -> None:
    note_id = add_note(app, "Draft", "old text")
    form = client.get(f"/{note_id}/edit")
    assert form.status_code == 200, form.text
    assert form_shown(form) == (f"/{note_id}/edit", [], "Draft", "old text")
    response = client.post(
        f"/{note_id}/edit", data={"title": "Final", "body": "new text"}
    )
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == f"/{note_id}"
    assert stored_notes(app) == [(note_id, "Final", "new text")]
    assert flashes(client.get(f"/{note_id}")) == ["Saved “Final”."]


def test_saving_a_note_deleted_meanwhile_is_a_404_and_stores_nothing(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone else deletes the note between the edit view reading it and
    # its UPDATE: the UPDATE then changes no row, and must not claim it saved.
    note_id = add_note(app, "Doomed", "text")
    read_note = views.get_note

    def read_then_deleted_elsewhere(note_id: int) -> dict[str, object]:
        note = read_note(note_id)
        db = get_db()
        with db:
            db.execute("DELETE FROM note WHERE id = ?", (note_id,))
        return note

    monkeypatch.setattr(views, "get_note", read_then_deleted_elsewhere)
    response = client.post(f"/{note_id}/edit", data={"title": "Lost", "body": ""})
    assert_error_page(
        response, 404, f"There is no note {note_id}. It may have been deleted."
    )
    assert stored_notes(app) == []
    assert flashes(client.get("/")) == []  # no "Saved" flashed either


def test_delete_removes_the_row_and_returns_to_the_list(
    app: Flask, client: FlaskClient
) -> None:
    keep = add_note(app, "Keep")
    drop = add_note(app, "Drop")
    response = client.post(f"/{drop}/delete")
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/"
    assert stored_notes(app) == [(keep, "Keep", "")]
    assert flashes(client.get("/")) == ["Deleted “Drop”."]


def test_delete_is_post_only(app: Flask, client: FlaskClient) -> None:
    note_id = add_note(app, "Safe")
    response = client.get(f"/{note_id}/delete")
    assert_error_page(response, 405, "The method is not allowed for the requested URL.")
    assert set(response.allow) == {"POST", "OPTIONS"}  # says what it takes
    assert len(stored_notes(app)) == 1


BAD_FORMS = [
    pytest.param({"body": "no title"}, "Give the note a title.", id="title-missing"),
    pytest.param({"title": "", "body": ""}, "Give the note a title.", id="title-empty"),
    pytest.param(
        {"title": " \t\n ", "body": ""}, "Give the note a title.", id="title-blank"
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
    # The form again, as typed (title trimmed), with what to correct.
    typed = form.get("title", "").strip(), form.get("body", "")
    assert form_shown(response) == ("/new", [message], *typed)
    assert stored_notes(app) == []


@pytest.mark.parametrize(("form", "message"), BAD_FORMS)
def test_edit_rejects_bad_input_with_400_and_changes_nothing(
    app: Flask, client: FlaskClient, form: dict[str, str], message: str
) -> None:
    note_id = add_note(app, "Original", "text")
    response = client.post(f"/{note_id}/edit", data=form)
    assert response.status_code == 400, response.text
    typed = form.get("title", "").strip(), form.get("body", "")
    assert form_shown(response) == (f"/{note_id}/edit", [message], *typed)
    assert stored_notes(app) == [(note_id, "Original", "text")]


def test_title_and_body_at_their_limits_are_accepted(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/new", data={"title": "é" * 200, "body": "x" * 10_000})
    assert response.status_code == 303, response.text
    assert stored_notes(app) == [(1, "é" * 200, "x" * 10_000)]


NO_SUCH_NOTE = "There is no note 999. It may have been deleted."
BEYOND_SQLITE = f"There is no note {2**63}."
NO_ROUTE = NotFound.description


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/999", NO_SUCH_NOTE),
        ("GET", "/999/edit", NO_SUCH_NOTE),
        ("POST", "/999/edit", NO_SUCH_NOTE),
        ("POST", "/999/delete", NO_SUCH_NOTE),
        # One past SQLite's largest integer: no note, and no OverflowError.
        ("GET", f"/{2**63}", BEYOND_SQLITE),
        ("GET", f"/{2**63}/edit", BEYOND_SQLITE),
        ("POST", f"/{2**63}/edit", BEYOND_SQLITE),
        ("POST", f"/{2**63}/delete", BEYOND_SQLITE),
        ("GET", "/abc", NO_ROUTE),  # not an int: no route matches
        ("GET", "/-1", NO_ROUTE),
    ],
)
def test_unknown_note_is_the_apps_404_page(
    client: FlaskClient, method: str, path: str, message: str
) -> None:
    response = client.open(path, method=method, data={"title": "t", "body": ""})
    assert_error_page(response, 404, message)


def test_links_and_redirects_work_under_a_mount_prefix(
    app: Flask, client: FlaskClient
) -> None:
    base = "http://localhost/notes-app/"
    response = client.post("/new", data={"title": "Mounted", "body": ""}, base_url=base)
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/notes-app/1"
    page = client.get("/1", base_url=base).text
    assert 'href="/notes-app/static/style.css"' in page
    assert 'action="/notes-app/1/delete"' in page
    assert 'href="/notes-app/1/edit"' in page


# --- The cap and the pages ---------------------------------------------------


def test_notes_are_stored_up_to_the_cap_then_refused_with_409_until_one_is_deleted(
    config: dict[str, object],
) -> None:
    app = create_app({**config, "NOTES_MAX": 3})
    client = app.test_client()
    add_note(app, "One")
    add_note(app, "Two")
    response = client.post("/new", data={"title": "Three", "body": ""})
    assert response.status_code == 303, response.text  # the third of 3: at the cap

    response = client.post("/new", data={"title": "Four", "body": "typed\nout"})
    assert response.status_code == 409, response.text
    full = "The notes are full: 3 at most. Delete one to make room."
    assert form_shown(response) == ("/new", [full], "Four", "typed\nout")  # as typed
    assert [title for _, title, _ in stored_notes(app)] == ["One", "Two", "Three"]

    assert client.post("/1/delete").status_code == 303
    response = client.post("/new", data={"title": "Four", "body": ""})
    assert response.status_code == 303, response.text
    assert [title for _, title, _ in stored_notes(app)] == ["Two", "Three", "Four"]


def test_by_default_1000_notes_are_kept_and_the_list_shows_20_a_page(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        db = get_db()
        with db:
            rows = [(f"n{n}",) for n in range(1, 1000)]
            db.executemany("INSERT INTO note (title) VALUES (?)", rows)
    response = client.post("/new", data={"title": "n1000", "body": ""})
    assert response.status_code == 303, response.text  # the 1,000th

    response = client.post("/new", data={"title": "n1001", "body": ""})
    assert response.status_code == 409, response.text
    full = "The notes are full: 1,000 at most. Delete one to make room."
    assert form_shown(response) == ("/new", [full], "n1001", "")
    assert len(stored_notes(app)) == 1000

    titles, pager, _ = a_page(client, "/")
    assert titles == [f"n{n}" for n in range(1000, 980, -1)]
    assert pager == "Page 1 of 50 Older"


def a_page(client: Client, url: str) -> tuple[list[str], str, dict[str, str]]:
    """What a page of the list shows: the titles, "Page n of m", and where its
    rel=prev and rel=next links go."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    titles = [a.get_text() for a in soup.select("main li a")]
    pager = soup.select_one("nav[aria-label='Pages of notes']")
    assert pager is not None, response.text
    links = {str(a["rel"][0]): str(a["href"]) for a in pager.select("a")}
    return titles, " ".join(pager.stripped_strings), links


@pytest.mark.parametrize("prefix", ["", "/notes-app"])
def test_the_index_shows_a_page_of_the_newest_notes_and_links_to_the_others(
    config: dict[str, object], prefix: str
) -> None:
    app = create_app({**config, "NOTES_PER_PAGE": 2})
    for title in ["n1", "n2", "n3", "n4", "n5"]:
        add_note(app, title)
    client = Client(DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app)

    first = a_page(client, f"{prefix}/")
    assert first == (["n5", "n4"], "Page 1 of 3 Older", {"next": f"{prefix}/?page=2"})
    second = a_page(client, first[2]["next"])
    assert second == (
        ["n3", "n2"],
        "Newer Page 2 of 3 Older",
        {"prev": f"{prefix}/?page=1", "next": f"{prefix}/?page=3"},
    )
    last = a_page(client, second[2]["next"])
    assert last == (["n1"], "Newer Page 3 of 3", {"prev": f"{prefix}/?page=2"})
    assert a_page(client, last[2]["prev"]) == second


@pytest.mark.parametrize(
    ("notes", "number", "last"),
    [
        (0, "2", 1),
        (5, "4", 3),
        (5, "0", 3),
        (5, "-1", 3),
        (5, "two", 3),
        (5, "1.5", 3),
        (5, "", 3),
        (5, "²", 3),  # a digit to str.isdigit(), not to int()
        (5, "9" * 5000, 3),  # too long for int()
    ],
)
def test_a_page_past_the_last_or_no_page_number_is_the_apps_404_page(
    config: dict[str, object], notes: int, number: str, last: int
) -> None:
    app = create_app({**config, "NOTES_PER_PAGE": 2})
    for n in range(notes):
        add_note(app, f"n{n}")
    response = app.test_client().get("/", query_string={"page": number})
    message = f"There is no such page of notes: the last is page {last}."
    assert_error_page(response, 404, message)


# --- CSRF ---------------------------------------------------------------------


def test_csrf_rejects_a_post_without_the_token_and_accepts_one_with_it(
    config: dict[str, object],
) -> None:
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()

    response = client.post("/new", data={"title": "Forged", "body": ""})
    assert_error_page(response, 400, "The CSRF token is missing.")
    assert stored_notes(app) == []

    token = csrf_token(client.get("/new").text)
    response = client.post(
        "/new", data={"title": "Real", "body": "", "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    assert [title for _, title, _ in stored_notes(app)] == ["Real"]


# --- Bad requests: the app's own 400 and 413 pages, never a 500 -------------


def form_of(size: int) -> str:
    """A note form, URL-encoded, of exactly `size` bytes: mostly its body."""
    head = "title=t&body="
    return head + "x" * (size - len(head))


def test_a_form_of_exactly_256_kib_is_read(app: Flask, client: FlaskClient) -> None:
    data = form_of(256 * 1024)
    response = client.post(
        "/new", data=data, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400, response.text  # read, and its body judged
    body = data.removeprefix("title=t&body=")
    too_long = "Keep the body to 10,000 characters (this one has 262,131)."
    assert form_shown(response) == ("/new", [too_long], "t", body)
    assert stored_notes(app) == []


def test_a_form_one_byte_over_256_kib_is_a_413(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/new",
        data=form_of(256 * 1024 + 1),
        content_type="application/x-www-form-urlencoded",
    )
    assert_error_page(response, 413, RequestEntityTooLarge.description)
    assert stored_notes(app) == []


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nvalue",
        b'Content-Disposition: form-data; filename="f.txt"\r\n\r\ndata',
    ],
    ids=["field", "file"],
)
def test_a_multipart_part_with_no_name_is_a_400(
    config: dict[str, object], part: bytes
) -> None:
    """Werkzeug files it under the key None, where the CSRF check would fail."""
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    response = app.test_client().post(
        "/new",
        data=b"--B\r\n" + part + b"\r\n--B--\r\n",
        content_type="multipart/form-data; boundary=B",
    )
    assert_error_page(response, 400, "Every part of a multipart form needs a name.")
    assert stored_notes(app) == []


def test_a_multipart_form_with_named_parts_is_read_like_any_other(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/new",
        data={"title": "Multipart", "body": "text"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.text
    assert stored_notes(app) == [(1, "Multipart", "text")]


class ServerError(Exception):
    """What gunicorn raises from inside a read of a malformed chunked body."""


class MalformedBody:
    """The server's input stream on a malformed chunked body."""

    def read(self, size: int = -1) -> bytes:
        raise ServerError("Invalid chunk size")


def test_a_body_the_server_fails_to_read_is_a_400(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/new",
        data="title=t&body=",  # the Content-Length of a body to read
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": MalformedBody()},
    )
    assert_error_page(response, 400, BadRequest.description)
    assert stored_notes(app) == []


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


# --- Concurrency --------------------------------------------------------------


def test_concurrent_writers_lose_no_notes(app: Flask, live_server: str) -> None:
    writers, notes_each = 8, 25

    def write(writer: int) -> list[int]:
        statuses = []
        for n in range(notes_each):
            connection = http.client.HTTPConnection(live_server, timeout=30)
            try:
                connection.request(
                    "POST",
                    "/new",
                    body=urlencode({"title": f"w{writer}-{n}", "body": "x" * 100}),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                response = connection.getresponse()
                response.read()
                statuses.append(response.status)
            finally:
                connection.close()
        return statuses

    with ThreadPoolExecutor(writers) as pool:
        statuses = [s for result in pool.map(write, range(writers)) for s in result]

    assert statuses == [303] * writers * notes_each  # no 500 "database is locked"
    titles = {title for _, title, _ in stored_notes(app)}
    assert len(titles) == writers * notes_each
    assert titles == {f"w{w}-{n}" for w in range(writers) for n in range(notes_each)}


def test_notes_racing_for_the_last_places_never_overfill_the_cap(
    config: dict[str, object],
) -> None:
    """16 posts at once on one app, as a threaded server runs them: room for 4."""
    app = create_app({**config, "NOTES_MAX": 4})
    start = threading.Barrier(16)

    def race(n: int) -> TestResponse:
        client = app.test_client()
        start.wait()
        return client.post("/new", data={"title": f"racer {n}", "body": ""})

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(race, range(16)))

    assert sorted(r.status_code for r in responses) == [303] * 4 + [409] * 12
    full = "The notes are full: 4 at most. Delete one to make room."
    assert all(full in r.text for r in responses if r.status_code == 409)
    assert len(stored_notes(app)) == 4


# --- Configuration ------------------------------------------------------------


def test_runs_in_debug_mode_without_a_secret_key(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The README's `flask --app notes run --debug`: no key set, CSRF on.
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app()
    assert app.debug
    client = app.test_client()

    response = client.get("/")
    assert response.status_code == 200, response.text
    form = client.get("/new")
    assert form.status_code == 200, form.text
    response = client.post(
        "/new",
        data={"title": "Debugging", "body": "", "csrf_token": csrf_token(form.text)},
    )
    assert response.status_code == 303, response.text
    assert [title for _, title, _ in stored_notes(app)] == ["Debugging"]


MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


@pytest.mark.parametrize(
    "secret",
    [None, "", "12345"],  # 12345 is read as JSON: a number, not a string
    ids=["unset", "empty", "a-number"],
)
def test_outside_debug_the_app_refuses_to_start_without_a_secret_key(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    if secret is None:
        monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("FLASK_SECRET_KEY", secret)
    with pytest.raises(RuntimeError) as refused:
        create_app()
    assert str(refused.value) == MISSING_KEY


def test_environment_variables_set_the_secret_key_and_the_database(
    instance_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere.sqlite"
    monkeypatch.setenv("FLASK_DEBUG", "1")  # a secret that is set is kept in debug too
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("FLASK_DATABASE", str(elsewhere))
    app = create_app()
    assert app.secret_key == "from-the-environment"
    assert app.config["DATABASE"] == str(elsewhere)
    assert elsewhere.is_file()  # created there, with its tables
    assert not (instance_folder / "notes.sqlite").exists()


def test_instance_config_file_sets_the_database(
    instance_folder: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.sqlite"
    instance_folder.mkdir()
    (instance_folder / "config.py").write_text(
        f"DATABASE = {str(elsewhere)!r}\n"
        'SECRET_KEY = "from-the-file"\n'
        "WTF_CSRF_ENABLED = False\n"
    )

    app = create_app()  # a test config would take the file's place
    response = app.test_client().post("/new", data={"title": "Moved", "body": ""})

    assert response.status_code == 303, response.text
    assert app.config["DATABASE"] == str(elsewhere)
    with sqlite3.connect(elsewhere) as connection:
        rows = connection.execute("SELECT title FROM note").fetchall()
    connection.close()
    assert rows == [("Moved",)]
    assert not (instance_folder / "notes.sqlite").exists()
