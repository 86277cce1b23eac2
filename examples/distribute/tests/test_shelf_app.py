"""Deploying with setuptools: the reading list, and the distribution built from it.

The first tests drive the app from the source folder; the rest build the
sdist and, from it, the wheel with the build backend that pyproject.toml
names (as `python -m build` does), install the wheel into a fresh virtualenv
and use the installed copy, as a server would, far from the source tree.
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import tomllib
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path
from typing import NoReturn

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.test import TestResponse

import shelf_app
from shelf_app import create_app
from shelf_app.cli import cli
from shelf_app.db import get_db

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PROJECT = Path(__file__).parents[1]
PYPROJECT = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = "1.0.0"  # pyproject.toml's
# Not the project's source: what a run, a build or an install leaves in the folder.
LEFT_BEHIND = shutil.ignore_patterns(
    "__pycache__", ".pytest_cache", "instance", "dist", "build", "*.egg-info"
)


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI a missing tool is a failure, never a quiet skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: every test must run)")
    pytest.skip(reason)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def stored_books(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = get_db().execute("SELECT title, author FROM book ORDER BY id")
        return [(row["title"], row["author"]) for row in rows]


def shelf(html: str) -> list[str]:
    """The books the page lists, as a reader sees them."""
    soup = BeautifulSoup(html, "html.parser")
    return [" ".join(li.get_text().split()) for li in soup.select("main ul li")]


def assert_error_page(response: TestResponse, status: int, message: str) -> None:
    """The app's error page: the status and its name, the message, a way back."""
    assert response.status_code == status, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    heading, text = soup.select_one("main h1"), soup.select_one("main h1 + p")
    assert heading is not None and text is not None, response.text
    assert heading.get_text() == f"{status} {HTTP_STATUS_CODES[status]}"
    assert text.get_text() == message
    assert soup.find("a", string="Back to the shelf") is not None


def form_shown(html: str) -> tuple[dict[str, str], list[str]]:
    """The add form as a page shows it: each field's value, and the errors."""
    form = BeautifulSoup(html, "html.parser").select_one("form")
    assert form is not None, html
    fields = {
        str(field["name"]): str(field.get("value", ""))
        for field in form.select("input[id]")
    }
    return fields, [p.get_text() for p in form.select(".error")]


def clean_env(**extra: str) -> dict[str, str]:
    """No PYTHONPATH, virtualenv or Flask settings of this run."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "FLASK_", "VIRTUAL_ENV"))
    }
    return {**env, **extra}


def run(*command: str | Path, cwd: Path) -> str:
    """Run a command of the build or the install; its output, or a failure
    that shows what it said."""
    result = subprocess.run(
        command, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def find_uv() -> str | None:
    """uv on PATH, or the one the cookbook's Makefile fetches into .tools/; a
    folder copied out of the cookbook may have neither."""
    fetched = PROJECT.parents[1] / ".tools" / "bin" / "uv"
    return shutil.which("uv") or (str(fetched) if fetched.exists() else None)


def fresh_venv(path: Path, *requirements: str) -> Path:
    """A new virtualenv, and the requirements installed into it from the package
    index as a user's would be. With uv when there is one: it links the files
    in from its cache, well under a second where pip takes ten. Else the
    standard library's venv and pip."""
    python = path / "bin" / "python"
    if uv := find_uv():
        run(uv, "venv", "--quiet", "--python", sys.executable, path, cwd=path.parent)
        install = [uv, "pip", "install", "--quiet", "--python", python]
        run(*install, *requirements, cwd=path.parent)
        return path
    if importlib.util.find_spec("ensurepip") is None:
        unavailable("a virtualenv with pip needs ensurepip: apt install python3-venv")
    run(sys.executable, "-m", "venv", path, cwd=path.parent)
    run(python, "-m", "pip", "install", "--quiet", *requirements, cwd=path.parent)
    return path


# --- The app, from the source folder ------------------------------------------


def test_added_books_are_listed_newest_first(app: Flask, client: FlaskClient) -> None:
    for title, author in [(" Dune ", " Frank Herbert "), ("Emma", "")]:
        response = client.post("/", data={"title": title, "author": author})
        assert response.status_code == 303, response.text
        assert response.location == "/"
    # The flash message rides in the session cookie, sent only from this site.
    assert "SameSite=Lax" in response.headers["Set-Cookie"]
    page = client.get("/")
    assert shelf(page.text) == ["Emma", "Dune by Frank Herbert"]
    assert "Added “Emma” to the shelf." in page.text
    assert stored_books(app) == [("Dune", "Frank Herbert"), ("Emma", "")]


def test_the_form_limits_the_fields_to_what_the_shelf_stores(
    client: FlaskClient,
) -> None:
    soup = BeautifulSoup(client.get("/").text, "html.parser")
    limits = {str(i["name"]): i.get("maxlength") for i in soup.select("form input[id]")}
    assert limits == {"title": "200", "author": "100"}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"title": "  ", "author": "Anon"}, "Give the book a title."),
        ({"author": "Anon"}, "Give the book a title."),
        ({"title": "x" * 201}, "Keep the title to 200 characters."),
        ({"title": "Dune", "author": "y" * 101}, "Keep the author to 100 characters."),
        ({"title": "Du\x00ne"}, "The title must not contain NUL characters."),
        (
            {"title": "Dune", "author": "F\x00H"},
            "The author must not contain NUL characters.",
        ),
    ],
    ids=["blank", "missing", "long-title", "long-author", "nul-title", "nul-author"],
)
def test_an_invalid_book_is_refused_with_a_message(
    app: Flask, client: FlaskClient, form: dict[str, str], message: str
) -> None:
    client.post("/", data={"title": "Emma"})
    response = client.post("/", data=form)
    assert response.status_code == 400, response.text
    # The same page: the shelf, and the form with what was typed and why not.
    assert shelf(response.text) == ["Emma"]
    typed = {field: form.get(field, "").strip() for field in ["title", "author"]}
    assert form_shown(response.text) == (typed, [message])
    assert stored_books(app) == [("Emma", "")]


def test_adding_a_book_needs_the_pages_csrf_token(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    refused = client.post("/", data={"title": "Dune"})
    assert refused.status_code == 400, refused.text
    assert "The CSRF token is missing." in refused.text
    token = csrf_token(client.get("/").text)
    added = client.post("/", data={"title": "Dune", "csrf_token": token})
    assert added.status_code == 303, added.text
    assert stored_books(app) == [("Dune", "")]


def test_the_biggest_book_fits_under_the_body_limit(app: Flask) -> None:
    """A title and an author at their limits, each character 4 bytes in UTF-8
    and percent-encoded, and the page's CSRF token: the biggest honest post."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    book = {"title": "\N{SNAKE}" * 200, "author": "\N{SNAKE}" * 100}
    token = csrf_token(client.get("/").text)
    added = client.post("/", data={**book, "csrf_token": token})
    assert added.status_code == 303, added.text
    assert stored_books(app) == [(book["title"], book["author"])]


@pytest.mark.parametrize(("size", "status"), [(4 * 1024, 303), (4 * 1024 + 1, 413)])
def test_a_body_up_to_4_kib_is_read_and_one_byte_more_is_a_413_page(
    app: Flask, client: FlaskClient, size: int, status: int
) -> None:
    body = b"title=Dune&padding="
    response = client.post(
        "/",
        data=body + b"x" * (size - len(body)),
        content_type="application/x-www-form-urlencoded",
    )
    if status == 413:
        assert_error_page(response, 413, RequestEntityTooLarge.description)
        assert stored_books(app) == []
    else:
        assert response.status_code == 303, response.text
        assert stored_books(app) == [("Dune", "")]


def test_the_shelf_takes_books_up_to_its_cap_then_refuses_with_a_409(
    config: dict[str, object],
) -> None:
    app = create_app({**config, "BOOKS_MAX": 3})
    client = app.test_client()
    for title in ["Dune", "Emma", "Ulysses"]:  # the third: exactly at the cap
        added = client.post("/", data={"title": title})
        assert added.status_code == 303, added.text
    book = {"title": "Middlemarch", "author": "George Eliot"}
    refused = client.post("/", data=book)
    assert refused.status_code == 409, refused.text
    form = BeautifulSoup(refused.text, "html.parser").select_one("form")
    assert form is not None
    errors = [p.get_text() for p in form.select(".error")]
    assert errors == ["The shelf is full: 3 books at most."]
    # What the visitor typed is still in the form, as for any other error.
    typed = {field: form.select_one(f"#{field}") for field in book}
    assert {k: v and v.get("value") for k, v in typed.items()} == book
    assert stored_books(app) == [("Dune", ""), ("Emma", ""), ("Ulysses", "")]


def test_by_default_the_shelf_holds_1000_books(app: Flask, client: FlaskClient) -> None:
    with app.app_context(), get_db() as db:
        titles = [(f"Book {n}",) for n in range(999)]
        db.executemany("INSERT INTO book (title) VALUES (?)", titles)
    added = client.post("/", data={"title": "The thousandth"})
    assert added.status_code == 303, added.text
    refused = client.post("/", data={"title": "One too many"})
    assert refused.status_code == 409, refused.text
    assert form_shown(refused.text) == (
        {"title": "One too many", "author": ""},
        ["The shelf is full: 1,000 books at most."],
    )
    assert len(stored_books(app)) == 1_000


def test_the_cap_holds_when_books_are_added_at_once(
    config: dict[str, object],
) -> None:
    """16 requests at once on one app, as a threaded server serves them, each
    on a database connection of its own, as each gunicorn worker has: room for 4."""
    app = create_app({**config, "BOOKS_MAX": 4})
    start = threading.Barrier(16)

    def add(n: int) -> tuple[int, str]:
        client = app.test_client()
        start.wait(timeout=30)  # all at once, not one by one
        response = client.post("/", data={"title": f"Book {n}"})
        return response.status_code, response.text

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(add, range(16)))
    assert sorted(status for status, _ in answers) == [303] * 4 + [409] * 12
    refusals = [text for status, text in answers if status == 409]
    assert all("The shelf is full: 4 books at most." in text for text in refusals)
    assert len(stored_books(app)) == 4


def a_page(client: Client, url: str) -> tuple[list[str], str, dict[str, str]]:
    """What a page of the shelf shows: its books, "Page n of m", and where its
    rel=prev and rel=next links go."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    pager = soup.select_one("nav[aria-label='Pages of the shelf']")
    assert pager is not None, "the page has no links to the other pages"
    links = {str(a["rel"][0]): str(a["href"]) for a in pager.select("a")}
    return shelf(response.text), " ".join(pager.stripped_strings), links


@pytest.mark.parametrize("prefix", ["", "/reading"])
def test_the_shelf_lists_a_page_of_the_newest_books_and_links_to_the_others(
    config: dict[str, object], prefix: str
) -> None:
    app = create_app({**config, "BOOKS_PER_PAGE": 2})
    for title in ["A", "B", "C", "D", "E"]:
        added = app.test_client().post("/", data={"title": title})
        assert added.status_code == 303, added.text
    # Mounted under a prefix, as the cookbook's gallery mounts it.
    client = Client(DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app)

    first = a_page(client, f"{prefix}/")
    assert first == (["E", "D"], "Page 1 of 3 Older", {"next": f"{prefix}/?page=2"})
    second = a_page(client, first[2]["next"])
    assert second == (
        ["C", "B"],
        "Newer Page 2 of 3 Older",
        {"prev": f"{prefix}/?page=1", "next": f"{prefix}/?page=3"},
    )
    last = a_page(client, second[2]["next"])
    assert last == (["A"], "Newer Page 3 of 3", {"prev": f"{prefix}/?page=2"})
    assert a_page(client, last[2]["prev"]) == second
    assert a_page(client, f"{prefix}/?page=000000002") == second  # 9 digits


def test_by_default_a_page_lists_20_books(app: Flask, client: FlaskClient) -> None:
    with app.app_context(), get_db() as db:
        titles = [(f"Book {n}",) for n in range(1, 22)]
        db.executemany("INSERT INTO book (title) VALUES (?)", titles)
    books, pager, _ = a_page(client, "/")
    assert books == [f"Book {n}" for n in range(21, 1, -1)]
    assert pager == "Page 1 of 2 Older"
    assert a_page(client, "/?page=2")[0] == ["Book 1"]


@pytest.mark.parametrize(
    ("added", "page", "last"),
    [
        (0, "2", 1),
        (5, "4", 3),
        (5, "0", 3),
        (5, "-1", 3),
        (5, "two", 3),
        (5, "1.5", 3),
        (5, "+2", 3),
        (5, "0000000002", 3),  # 10 digits: too many, whatever their value
        pytest.param(5, "9" * 5000, 3, id="5-5000 digits-3"),
    ],
)
def test_a_page_the_shelf_does_not_fill_is_a_404_page(
    config: dict[str, object], added: int, page: str, last: int
) -> None:
    app = create_app({**config, "BOOKS_PER_PAGE": 2})
    with app.app_context(), get_db() as db:
        titles = [(f"Book {n}",) for n in range(added)]
        db.executemany("INSERT INTO book (title) VALUES (?)", titles)
    response = app.test_client().get("/", query_string={"page": page})
    assert response.status_code == 404, response.text
    assert f"There is no such page: the last is page {last}." in response.text
    assert "Back to the shelf" in response.text


def test_init_db_empties_the_shelf(
    app: Flask, runner: FlaskCliRunner, config: dict[str, object]
) -> None:
    with app.app_context():
        db = get_db()
        with db:
            db.execute("INSERT INTO book (title) VALUES ('Dune')")
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert result.output == f"Initialised the database: {config['DATABASE']}\n"
    assert stored_books(app) == []


def test_an_app_context_has_one_connection_closed_at_its_end(app: Flask) -> None:
    with app.app_context():
        db = get_db()
        assert get_db() is db
        # A writer waits up to 10 s for another's lock, not 5 (sqlite3's default).
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        db.execute("SELECT 1")


def test_the_footer_shows_the_version_of_the_package(client: FlaskClient) -> None:
    version = BeautifulSoup(client.get("/").text, "html.parser").find(id="version")
    assert version is not None and version.get_text() == shelf_app.__version__


# --- Errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nDune",
        b'Content-Disposition: form-data; filename="a.txt"\r\n\r\nDune',
    ],
    ids=["field", "file"],
)
def test_a_multipart_part_with_no_name_is_a_400_page(
    app: Flask, client: FlaskClient, part: bytes
) -> None:
    response = client.post(
        "/",
        data=b"--B\r\n" + part + b"\r\n--B--\r\n",
        content_type="multipart/form-data; boundary=B",
    )
    assert_error_page(response, 400, "Every part of a multipart form needs a name.")
    assert stored_books(app) == []


def test_a_multipart_form_with_named_parts_is_read_like_any_other(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/", data={"title": "Dune"}, content_type="multipart/form-data"
    )
    assert response.status_code == 303, response.text
    assert stored_books(app) == [("Dune", "")]


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
        "/",
        data="title=Dune",  # the Content-Length of a body to read
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": MalformedBody()},
    )
    assert_error_page(response, 400, BadRequest.description)
    assert stored_books(app) == []


def test_the_body_is_read_up_to_its_content_length_and_no_further(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/",
        data="title=Dune",  # Content-Length: 10
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": io.BytesIO(b"title=Dune&author=Extra")},
    )
    assert response.status_code == 303, response.text
    assert stored_books(app) == [("Dune", "")]


def test_a_method_the_shelf_does_not_take_is_a_405_page_that_says_which_it_does(
    client: FlaskClient,
) -> None:
    response = client.put("/")
    assert_error_page(response, 405, "The method is not allowed for the requested URL.")
    allowed = set(response.headers["Allow"].split(", "))
    assert allowed == {"HEAD", "GET", "POST", "OPTIONS"}
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


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


# --- Configuration -----------------------------------------------------------------


def test_runs_in_debug_mode_without_a_secret_key(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The README's `flask --app shelf_app run --debug`: no key set, CSRF on.
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app()
    client = app.test_client()
    token = csrf_token(client.get("/").text)
    added = client.post("/", data={"title": "Debugging", "csrf_token": token})
    assert added.status_code == 303, added.text
    assert stored_books(app) == [("Debugging", "")]


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
    if secret is not None:
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
    assert elsewhere.is_file()  # created there, with its table
    assert not (instance_folder / "shelf.sqlite").exists()


def test_the_instance_config_file_sets_the_secret_key_and_the_database(
    instance_folder: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.sqlite"
    instance_folder.mkdir()
    (instance_folder / "config.py").write_text(
        f'DATABASE = {str(elsewhere)!r}\nSECRET_KEY = "from-the-file"\n'
    )
    app = create_app()  # a test config would take the file's place
    assert app.secret_key == "from-the-file"
    assert elsewhere.is_file()
    assert not (instance_folder / "shelf.sqlite").exists()


@pytest.fixture(scope="module")
def dependencies_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the project's dependencies, and not the project:
    the Python of someone who runs the app from its source folder."""
    tmp = tmp_path_factory.mktemp("dependencies")
    return fresh_venv(tmp / "venv", *PYPROJECT["project"]["dependencies"])


FROM_SOURCE = """
import sys
import shelf_app
app = shelf_app.create_app({"TESTING": True, "DATABASE": sys.argv[1]})
print(shelf_app.__file__)
print(shelf_app.__version__)
print(app.test_client().get("/").get_data(as_text=True))
"""


def test_from_the_source_folder_the_page_says_it_is_not_installed(
    dependencies_only: Path, tmp_path: Path
) -> None:
    """The version comes from installed metadata: a source folder that was never
    installed has none. (This run's own Python may have the project installed,
    editable, so a copy of the folder is run with one that has not.)"""
    source = tmp_path / "project"
    shutil.copytree(PROJECT, source, ignore=LEFT_BEHIND)
    python = dependencies_only / "bin" / "python"
    output = run(python, "-c", FROM_SOURCE, tmp_path / "shelf.sqlite", cwd=source)
    module, installed, page = output.split("\n", 2)
    assert Path(module).is_relative_to(source), module
    assert installed == "not installed"
    version = BeautifulSoup(page, "html.parser").find(id="version")
    assert version is not None and version.get_text() == "not installed"


def test_the_shelf_command_chooses_the_app_itself(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`shelf init-db` is `flask --app shelf_app init-db`, without the --app."""
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-the-environment")
    result = CliRunner().invoke(cli, ["init-db"])
    assert result.exit_code == 0, result.output
    assert (instance_folder / "shelf.sqlite").exists()


# --- The distribution: built, inspected, installed ------------------------------


BACKEND = PYPROJECT["build-system"]["build-backend"]  # setuptools.build_meta
# What `python -m build` does in the build's environment: call the backend's hook.
BUILD = """
import importlib, sys
backend = importlib.import_module(sys.argv[1])
print(getattr(backend, sys.argv[2])(sys.argv[3]))
"""


def build(hook: str, source: Path, out_dir: Path) -> None:
    """Build the sdist or the wheel of the project in `source` into `out_dir`."""
    run(sys.executable, "-c", BUILD, BACKEND, hook, out_dir, cwd=source)


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The sdist built from a copy of the project, and the wheel built from the
    sdist, as `python -m build` does: the build writes *.egg-info beside the
    package, and the repository stays as it is."""
    if importlib.util.find_spec(BACKEND.split(".")[0]) is None:
        unavailable(f"building needs {BACKEND}: pip install -e '.[test]'")
    tmp = tmp_path_factory.mktemp("distribute")
    project = tmp / "project"
    shutil.copytree(PROJECT, project, ignore=LEFT_BEHIND)
    # A developer's instance config, with its secret, must never be packaged.
    (project / "instance").mkdir()
    (project / "instance" / "config.py").write_text('SECRET_KEY = "mine"\n')
    dist = tmp / "dist"
    build("build_sdist", project, dist)
    sdist = dist / f"shelf_app-{VERSION}.tar.gz"
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp / "unpacked", filter="data")
    build("build_wheel", tmp / "unpacked" / f"shelf_app-{VERSION}", dist)
    return Built(wheel=dist / f"shelf_app-{VERSION}-py3-none-any.whl", sdist=sdist)


def package_files() -> set[str]:
    """Every file of the package in the source tree: code, templates, static, SQL."""
    package = PROJECT / "shelf_app"
    return {
        f"shelf_app/{path.relative_to(package).as_posix()}"
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_wheel_holds_the_package_with_its_data_and_nothing_else(
    built: Built,
) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
    assert {"shelf_app/schema.sql", "shelf_app/templates/base.html"} <= names
    assert {"shelf_app/static/style.css"} <= names
    dist_info = f"shelf_app-{VERSION}.dist-info/"
    assert {n for n in names if not n.startswith(dist_info)} == package_files()


def test_the_sdist_holds_the_project_and_the_package_data(built: Built) -> None:
    root = f"shelf_app-{VERSION}/"
    with tarfile.open(built.sdist) as sdist:
        names = {m.name for m in sdist.getmembers() if m.isfile()}
    assert {root + "pyproject.toml", root + "README.md"} <= names
    assert {root + name for name in package_files()} <= names
    assert not [name for name in names if "instance" in name]


def test_the_wheel_declares_its_version_dependencies_and_command(
    built: Built,
) -> None:
    dist_info = f"shelf_app-{VERSION}.dist-info"
    with zipfile.ZipFile(built.wheel) as wheel:
        metadata = Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    assert metadata["Name"] == "shelf-app"
    assert metadata["Version"] == VERSION
    # What installing the wheel brings; the test extra only when asked for.
    assert metadata.get_all("Requires-Dist") == [
        "flask>=3.1",
        "flask-wtf>=1.2",
        'pytest>=8; extra == "test"',
        'beautifulsoup4>=4.12; extra == "test"',
        'setuptools>=77; extra == "test"',
    ]
    assert metadata.get_all("Provides-Extra") == ["test"]
    assert "[console_scripts]\nshelf = shelf_app.cli:cli" in entry_points


@pytest.fixture(scope="module")
def venv(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel (and what it declares) installed."""
    tmp = tmp_path_factory.mktemp("installed")
    return fresh_venv(tmp / "venv", str(built.wheel))


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[Path]:
    """A working directory with nothing in it: no source tree to import from."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    yield folder


SERVE = """
import shelf_app
app = shelf_app.create_app({"SECRET_KEY": "installed", "WTF_CSRF_ENABLED": False})
client = app.test_client()
posted = client.post("/", data={"title": "Dune"})
page = client.get("/")
stylesheet = client.get("/static/style.css")
print(shelf_app.__file__)
print(app.instance_path)
print(posted.status_code, page.status_code, stylesheet.status_code)
print(page.get_data(as_text=True))
"""


def test_the_installed_copy_serves_pages_from_site_packages(
    venv: Path, elsewhere: Path
) -> None:
    result = subprocess.run(
        [venv / "bin" / "python", "-c", SERVE],
        cwd=elsewhere,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    module, instance, statuses, page = result.stdout.split("\n", 3)
    assert Path(module).is_relative_to(venv), module
    assert "site-packages" in Path(module).parts
    # Flask puts an installed package's instance folder under the virtualenv.
    assert Path(instance) == venv / "var" / "shelf_app-instance"
    assert statuses == "303 200 200", page
    assert shelf(page) == ["Dune"]
    version = BeautifulSoup(page, "html.parser").find(id="version")
    assert version is not None and version.get_text() == VERSION


def test_the_installed_command_initialises_the_database_in_the_virtualenv(
    venv: Path, elsewhere: Path
) -> None:
    database = venv / "var" / "shelf_app-instance" / "shelf.sqlite"
    database.unlink(missing_ok=True)
    result = subprocess.run(
        [venv / "bin" / "shelf", "init-db"],
        cwd=elsewhere,
        env=clean_env(FLASK_SECRET_KEY="installed"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Initialised the database: {database}"
    with sqlite3.connect(database) as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        assert ("book",) in tables.fetchall()
