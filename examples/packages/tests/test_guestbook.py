"""Large applications as packages: one module-level `app`, views in modules beside it.

The module-level `app` is the pattern, so each test gets a fresh one the way
conftest.py builds it: the package imported again, its config in FLASK_* variables.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from typing import NoReturn

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import default_exceptions
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.test import TestResponse

MODULE = "guestbook"
PROJECT = Path(__file__).parents[1]  # the folder with pyproject.toml
PACKAGE = PROJECT / "guestbook"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

LoadApp = Callable[[Mapping[str, Any]], Flask]


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI a missing tool is a failure, never a quiet skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: everything the tests need must be there)")
    pytest.skip(reason)


def sign(client: FlaskClient, name: str, message: str) -> TestResponse:
    return client.post("/sign", data={"name": name, "message": message})


def api_entries(client: FlaskClient) -> list[tuple[str, str]]:
    response = client.get("/api/entries")
    assert response.status_code == 200, response.text
    return [(entry["name"], entry["message"]) for entry in response.json["entries"]]


def page_entries(html: str) -> list[str]:
    """The messages shown on the page, top to bottom."""
    soup = BeautifulSoup(html, "html.parser")
    return [article.p.get_text() for article in soup.select("article") if article.p]


def flashes(html: str) -> list[str]:
    """The confirmations flashed at the top of a page."""
    soup = BeautifulSoup(html, "html.parser")
    return [p.get_text() for p in soup.select("p.flash")]


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
    """The guestbook's own error page (not Werkzeug's): its layout, its message,
    and a link back to the guestbook."""
    assert response.status_code == status, response.text
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None
    name = default_exceptions[status]().name  # "Not Found", as Werkzeug says it
    assert soup.title.get_text() == f"{status} {name} · Guestbook"
    assert soup.h1 is not None and soup.h1.get_text() == f"{status} {name}"
    said = soup.h1.find_next_sibling("p")
    assert said is not None and said.get_text() == message
    link = soup.find("a", string="Back to the guestbook")
    assert link is not None, response.text
    assert link.get("href") == "/"


# --- The package --------------------------------------------------------------


def test_the_app_is_created_in_the_packages_init_and_shared_by_its_modules(
    app: Flask,
) -> None:
    package = sys.modules[MODULE]
    views = sys.modules[f"{MODULE}.views"]
    assert package.app is app
    assert app.import_name == MODULE
    # views.py got the very object __init__.py made: the circular import worked.
    assert views.app is app


def test_templates_and_static_files_come_from_inside_the_package(
    app: Flask, client: FlaskClient
) -> None:
    assert Path(app.root_path) == PACKAGE
    template = app.jinja_env.get_template("index.html")
    assert template.filename == str(PACKAGE / "templates" / "index.html")
    response = client.get("/static/style.css")
    assert response.status_code == 200, response.text
    assert response.data == (PACKAGE / "static" / "style.css").read_bytes()
    response.close()


def test_routes_come_from_the_views_module_and_the_blueprint_module(
    app: Flask,
) -> None:
    routes = {
        rule.endpoint: (rule.rule, app.view_functions[rule.endpoint].__module__)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    }
    assert routes == {
        "index": ("/", f"{MODULE}.views"),
        "sign": ("/sign", f"{MODULE}.views"),
        "api.entries": ("/api/entries", f"{MODULE}.api"),
    }
    assert list(app.blueprints) == ["api"]


def test_a_request_has_one_connection_closed_at_its_end(app: Flask) -> None:
    db = sys.modules[f"{MODULE}.db"]
    with app.app_context():
        connection = db.get_db()
        assert db.get_db() is connection
        # A writer waits up to 10 s for another's lock, not 5 (sqlite3's default).
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        connection.execute("SELECT 1")


# --- The guestbook ------------------------------------------------------------


def test_signing_redirects_to_the_page_that_shows_the_entry_first(
    client: FlaskClient,
) -> None:
    assert sign(client, "Ada", "First!").status_code == 303
    response = sign(client, "Grace", "Line one\r\nline two")
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page_entries(page.text) == ["Line one\nline two", "First!"]
    # One thanks for each post, both shown on the first page seen after them.
    assert flashes(page.text) == ["Thank you for signing the guestbook."] * 2
    assert flashes(client.get("/").text) == []  # flashed once


def test_the_api_blueprint_lists_the_entries_as_json(client: FlaskClient) -> None:
    sign(client, "Ada", "First!")
    sign(client, "Grace", "<b>bold</b>")
    assert api_entries(client) == [("Grace", "<b>bold</b>"), ("Ada", "First!")]
    entry = client.get("/api/entries").json["entries"][0]
    assert set(entry) == {"id", "name", "message", "created"}


def test_the_page_escapes_what_visitors_write(client: FlaskClient) -> None:
    sign(client, "<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
    html = client.get("/").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_form_tells_the_browser_the_limits(client: FlaskClient) -> None:
    soup = BeautifulSoup(client.get("/").text, "html.parser")
    name, message = soup.find(id="name"), soup.find(id="message")
    assert isinstance(name, Tag) and isinstance(message, Tag)
    assert (name.get("maxlength"), message.get("maxlength")) == ("60", "500")


def test_the_api_shows_the_latest_fifty_entries(client: FlaskClient) -> None:
    for n in range(51):
        sign(client, "Ada", f"entry {n}")
    listed = api_entries(client)
    assert len(listed) == 50
    assert listed[0] == ("Ada", "entry 50")
    assert listed[-1] == ("Ada", "entry 1")


NAME = "Give a name of 1 to 60 printable characters."
MESSAGE = "Write a message of 1 to 500 characters."
BAD_ENTRIES = [
    pytest.param({"message": "hi"}, NAME, id="name-missing"),
    pytest.param({"name": " \t ", "message": "hi"}, NAME, id="name-blank"),
    pytest.param({"name": "x" * 61, "message": "hi"}, NAME, id="name-long"),
    pytest.param({"name": "a\nb", "message": "hi"}, NAME, id="name-newline"),
    pytest.param({"name": "Ada"}, MESSAGE, id="message-missing"),
    pytest.param({"name": "Ada", "message": "x" * 501}, MESSAGE, id="message-long"),
    pytest.param(
        {"name": "Ada", "message": "a\x00b"},
        "The message must not contain control characters.",
        id="message-nul",
    ),
]


@pytest.mark.parametrize(("form", "message"), BAD_ENTRIES)
def test_a_bad_entry_is_a_400_with_the_form_kept_and_nothing_stored(
    client: FlaskClient, form: dict[str, str], message: str
) -> None:
    response = client.post("/sign", data=form)
    assert response.status_code == 400, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert [p.get_text() for p in soup.select("form .error")] == [message]
    # Both fields come back as typed (trimmed), to be corrected, not typed again.
    field, text = soup.find(id="name"), soup.find(id="message")
    assert field is not None and field.get("value") == form.get("name", "").strip()
    assert text is not None and text.get_text() == form.get("message", "").strip()
    assert api_entries(client) == []


def test_entries_at_the_limits_are_stored(client: FlaskClient) -> None:
    response = sign(client, "x" * 60, "y" * 500)
    assert response.status_code == 303, response.text
    assert api_entries(client) == [("x" * 60, "y" * 500)]


@pytest.mark.parametrize("size", [8 * 1024, 8 * 1024 + 1])
def test_a_body_of_8_kib_is_read_and_one_byte_more_is_a_413(
    client: FlaskClient, size: int
) -> None:
    body = "name=Ada&message=Hi&padding="
    body += "x" * (size - len(body))
    response = client.post(
        "/sign", data=body, content_type="application/x-www-form-urlencoded"
    )
    if size == 8 * 1024:
        assert response.status_code == 303, response.text
        assert api_entries(client) == [("Ada", "Hi")]
    else:
        assert_error_page(response, 413, RequestEntityTooLarge.description)
        assert api_entries(client) == []


def test_the_biggest_entry_fits_under_the_body_limit(
    load_app: LoadApp, config: dict[str, Any]
) -> None:
    """A name and a message at their limits, each character 4 bytes in UTF-8
    and percent-encoded, and the form's CSRF token: the biggest honest post."""
    del config["WTF_CSRF_ENABLED"]  # on, as it is by default
    client = load_app(config).test_client()
    name, message = "\N{SNAKE}" * 60, "\N{SNAKE}" * 500
    token = csrf_token(client.get("/").text)
    response = client.post(
        "/sign", data={"name": name, "message": message, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    assert api_entries(client) == [(name, message)]


def test_entries_are_kept_in_the_instance_folder_across_imports(
    load_app: LoadApp, config: dict[str, Any], instance_folder: Path
) -> None:
    del config["DATABASE"]  # the default: guestbook.sqlite in the instance folder
    sign(load_app(config).test_client(), "Ada", "Still here?")
    assert (instance_folder / "guestbook.sqlite").is_file()
    assert api_entries(load_app(config).test_client()) == [("Ada", "Still here?")]


# --- Bounded: at most ENTRIES_MAX entries, shown a page at a time -------------

FULL = "The guestbook is full: 3 entries at most."


def test_a_full_guestbook_is_a_409_with_the_form_kept_and_nothing_stored(
    load_app: LoadApp, config: dict[str, Any]
) -> None:
    client = load_app({**config, "ENTRIES_MAX": 3}).test_client()
    for n in range(3):  # exactly at the cap: all stored
        response = sign(client, "Ada", f"entry {n}")
        assert response.status_code == 303, response.text
    response = sign(client, "Grace", "One too many")
    assert response.status_code == 409, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert [p.get_text() for p in soup.select("form .error")] == [FULL]
    field, text = soup.find(id="name"), soup.find(id="message")
    assert field is not None and field.get("value") == "Grace"  # as typed
    assert text is not None and text.get_text() == "One too many"
    assert api_entries(client) == [("Ada", f"entry {n}") for n in (2, 1, 0)]


def test_signing_at_once_never_overfills_the_guestbook(
    load_app: LoadApp, config: dict[str, Any]
) -> None:
    """Twelve requests at once, as a threaded server runs them, for three places.
    The count and the insert are one statement: no two requests take one place."""
    app = load_app({**config, "ENTRIES_MAX": 3})
    start = threading.Barrier(12, timeout=30)  # a safeguard, not a wait

    def post(n: int) -> tuple[int, str]:
        client = app.test_client()
        start.wait()  # all at once, not one by one
        response = sign(client, "Ada", f"entry {n}")
        return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(post, range(12)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [303] * 3 + [409] * 9, answers
    assert all(FULL in text for status, text in answers if status == 409)
    assert len(api_entries(app.test_client())) == 3


@pytest.fixture
def three_pages_of_two(load_app: LoadApp, config: dict[str, Any]) -> FlaskClient:
    """Five entries, two to a page: entry 5 (the newest) to entry 1 on pages 1 to 3."""
    client = load_app({**config, "ENTRIES_PER_PAGE": 2}).test_client()
    for n in range(1, 6):
        sign(client, "Ada", f"entry {n}")
    return client


def page_links(html: str) -> dict[str, str]:
    """The page's links to the pages before and after it, by rel."""
    soup = BeautifulSoup(html, "html.parser")
    return {str(a["rel"][0]): str(a["href"]) for a in soup.select("a[rel]")}


def test_the_page_lists_the_entries_a_page_at_a_time_newest_first(
    three_pages_of_two: FlaskClient,
) -> None:
    client, url, seen = three_pages_of_two, "/", []
    for number, prev, following in [
        (1, None, "/?page=2"),
        (2, "/?page=1", "/?page=3"),
        (3, "/?page=2", None),
    ]:
        response = client.get(url)
        assert response.status_code == 200, response.text
        assert f"Page {number} of 3" in response.text
        links = page_links(response.text)
        assert (links.get("prev"), links.get("next")) == (prev, following)
        seen += page_entries(response.text)
        url = links.get("next", "")
    assert seen == [f"entry {n}" for n in range(5, 0, -1)]  # each once, in order


def test_the_page_links_work_under_a_prefix(three_pages_of_two: FlaskClient) -> None:
    prefix = "/cookbook/packages"  # where a dispatcher mounts the app
    response = three_pages_of_two.get("/", base_url=f"http://localhost{prefix}")
    assert response.status_code == 200, response.text
    link = page_links(response.text)["next"]
    assert link == f"{prefix}/?page=2"
    response = three_pages_of_two.get(
        link.removeprefix(prefix), base_url=f"http://localhost{prefix}"
    )
    assert response.status_code == 200, response.text
    assert page_entries(response.text) == ["entry 3", "entry 2"]


def test_an_empty_guestbook_is_one_page(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert "No one has signed yet. Be the first." in response.text
    assert page_links(response.text) == {}
    assert_error_page(
        client.get("/?page=2"), 404, "There is no such page: the last is page 1."
    )


@pytest.mark.parametrize("page", ["4", "0", "-1", "two", "1.5", "", "9" * 5000])
def test_a_page_past_the_last_or_no_page_number_is_a_404(
    three_pages_of_two: FlaskClient, page: str
) -> None:
    assert_error_page(
        three_pages_of_two.get(f"/?page={page}"),
        404,
        "There is no such page: the last is page 3.",
    )


# --- Errors: pages on the site, JSON under /api/ ------------------------------


def test_an_unknown_page_is_the_guestbooks_404_page(client: FlaskClient) -> None:
    assert_error_page(client.get("/nowhere"), 404, NotFound.description)


def test_signing_is_post_only(client: FlaskClient) -> None:
    assert_error_page(client.get("/sign"), 405, MethodNotAllowed.description)


@pytest.mark.parametrize(
    ("method", "path", "error"),
    [
        ("GET", "/api", NotFound()),
        ("GET", "/api/nowhere", NotFound()),
        ("POST", "/api/entries", MethodNotAllowed()),
    ],
)
def test_api_errors_are_json(
    client: FlaskClient, method: str, path: str, error: HTTPException
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == error.code, response.text
    assert response.mimetype == "application/json"
    assert response.json == {"error": error.name, "message": error.description}
    if error.code == 405:
        allowed = set(response.headers["Allow"].split(", "))
        assert allowed == {"GET", "HEAD", "OPTIONS"}


def test_signing_needs_the_forms_csrf_token(
    load_app: LoadApp, config: dict[str, Any]
) -> None:
    del config["WTF_CSRF_ENABLED"]  # on, as it is by default
    client = load_app(config).test_client()
    refused = sign(client, "Mallory", "forged")
    assert_error_page(refused, 400, "The CSRF token is missing.")
    token = csrf_token(client.get("/").text)
    response = client.post(
        "/sign", data={"name": "Ada", "message": "Hi", "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    assert api_entries(client) == [("Ada", "Hi")]


def test_a_multipart_form_with_every_part_named_is_signed(
    load_app: LoadApp, config: dict[str, Any]
) -> None:
    del config["WTF_CSRF_ENABLED"]  # on, as it is by default
    client = load_app(config).test_client()
    token = csrf_token(client.get("/").text)
    response = client.post(
        "/sign",
        data={"name": "Ada", "message": "Hi", "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.text
    assert api_entries(client) == [("Ada", "Hi")]


@pytest.mark.parametrize("part", ["form-data", 'form-data; filename="name.txt"'])
def test_a_multipart_part_with_no_name_is_a_400(
    load_app: LoadApp, config: dict[str, Any], part: str
) -> None:
    """Werkzeug files it under None, where the CSRF check would fail with a 500."""
    del config["WTF_CSRF_ENABLED"]  # on, as it is by default
    client = load_app(config).test_client()
    body = f"--b\r\nContent-Disposition: {part}\r\n\r\nAda\r\n--b--\r\n"
    response = client.post(
        "/sign", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert_error_page(response, 400, "Every part of a multipart form needs a name.")
    assert api_entries(client) == []


class InvalidChunkSize(Exception):
    """Not an OSError: what gunicorn raises while reading a malformed chunked body."""


class MalformedBody:
    """The server's input stream on a malformed chunked body."""

    def read(self, size: int = -1) -> bytes:
        raise InvalidChunkSize("Invalid chunk size")


def test_a_body_the_server_fails_to_read_is_a_400(client: FlaskClient) -> None:
    response = client.post(
        "/sign",
        data="name=Ada&message=Hi",  # the Content-Length of a body to read
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": MalformedBody()},
    )
    assert_error_page(response, 400, BadRequest.description)
    assert api_entries(client) == []


def test_a_form_is_read_to_its_length_not_into_the_next_request(
    client: FlaskClient,
) -> None:
    """On a kept-alive connection the server's stream holds the next request
    too (Werkzeug's development server hands over the socket itself)."""
    body = b"name=Ada&message=Hi"
    after = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    connection = io.BytesIO(body + after)
    response = client.post(
        "/sign",
        data=body,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": connection},
    )
    assert response.status_code == 303, response.text
    assert connection.read() == after
    assert api_entries(client) == [("Ada", "Hi")]


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
    load_app: LoadApp,
    config: dict[str, Any],
    host: str,
    extra: dict[str, Any],
    message: str,
) -> None:
    """No URL can be built for such a host: no page with links either."""
    client = load_app({**config, **extra}).test_client()
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == f"400 Bad Request: {message}"


# --- Installed with pyproject.toml --------------------------------------------

SERVE_INSTALLED = """
import json, sys
from flask.cli import ScriptInfo
app = ScriptInfo(app_import_path="guestbook").load_app()
client = app.test_client()
print(json.dumps({
    "file": sys.modules["guestbook"].__file__,
    "index": client.get("/").status_code,
    "css": client.get("/static/style.css").status_code,
}))
"""


def test_the_wheel_holds_the_templates_and_static_files_and_serves_installed(
    tmp_path: Path,
) -> None:
    """What `pip install .` gets from pyproject.toml: the package with its data,
    and its dependencies declared. Built in a copy, so the repository stays clean."""
    try:
        import flit_core  # noqa: F401  # the build backend pyproject.toml names
    except ImportError:
        unavailable("building the wheel needs flit_core: pip install flit_core")
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT,
        project,
        ignore=shutil.ignore_patterns(
            "__pycache__", "instance", "README.md", "*.egg-info", "build", "dist"
        ),
    )
    build = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from flit_core import buildapi; os.mkdir('dist'); "
            "print(buildapi.build_wheel('dist'))",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stderr
    wheel = project / "dist" / build.stdout.split()[-1]
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read("guestbook-1.0.0.dist-info/METADATA").decode()
        site = tmp_path / "site-packages"
        archive.extractall(site)
    sources = {
        f"guestbook/{path.relative_to(PACKAGE).as_posix()}"
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert sources <= names
    assert "Requires-Dist: flask>=3.1" in metadata.splitlines()
    assert "Requires-Dist: flask-wtf>=1.2" in metadata.splitlines()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Nothing of the test run's own environment but what the OS needs: the
    # package must come from the wheel and run on its defaults.
    env = {
        name: os.environ[name] for name in ("PATH", "SYSTEMROOT") if name in os.environ
    }
    served = subprocess.run(
        [sys.executable, "-c", SERVE_INSTALLED],
        cwd=elsewhere,
        env={**env, "PYTHONPATH": str(site), "FLASK_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 0, served.stderr
    result = json.loads(served.stdout)
    assert Path(result["file"]).is_relative_to(site)
    assert (result["index"], result["css"]) == (200, 200)
