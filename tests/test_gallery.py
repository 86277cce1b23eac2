"""The gallery: every example mounted under /<folder>/, and `make run` end to end."""

from __future__ import annotations

import contextlib
import http.cookiejar
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask import Response
from flask import send_file
from playwright.sync_api import expect
from playwright.sync_api import Page
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.test import TestResponse

from cookbook import catalogue
from cookbook import services
from cookbook.gallery import create_gallery
from cookbook.gallery import GalleryBar
from tests.conftest import csrf_token

EXAMPLES = catalogue.discover()


@pytest.fixture(scope="module")
def gallery(
    redis_server: services.RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Client]:
    """One gallery (25 apps) for the tests that only read its pages, built once:
    an instance folder and a Redis database of its own, as each test's are."""
    instance = tmp_path_factory.mktemp("instance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
        patch.setenv("REDIS_URL", redis_server.new_database())
        yield Client(create_gallery({"TESTING": True}))


def soup_of(response: TestResponse) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_index_shows_every_example_in_the_docs_order(gallery: Client) -> None:
    response = gallery.get("/")
    assert response.status_code == 200, response.text
    cards = soup_of(response).select("li.card")
    assert [card["id"] for card in cards] == [e.folder for e in EXAMPLES]
    order = [catalogue.PATTERNS.index(e.folder) for e in EXAMPLES]
    assert order == sorted(order)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.folder for e in EXAMPLES])
def test_each_card_has_the_title_summary_and_three_links(
    gallery: Client, example: catalogue.Example
) -> None:
    card = soup_of(gallery.get("/")).find(id=example.folder)
    assert card is not None, f"{example.folder} is not on the index"
    text = " ".join(card.get_text().split())
    assert example.title in text
    assert example.summary.replace("`", "") in text  # rendered: `code` is <code>
    links = {a.get_text(): a["href"] for a in card.select(".links a")}
    assert links == {
        "Open the app": f"/{example.folder}/",
        "README": f"/readme/{example.folder}",
        "Source": f"/source/{example.folder}/",
    }
    for href in links.values():
        response = gallery.get(href)
        assert response.status_code == 200, (href, response.text[:300])


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.folder for e in EXAMPLES])
def test_every_example_answers_at_its_folder_with_the_gallery_bar(
    gallery: Client, example: catalogue.Example
) -> None:
    own = catalogue.load_app(example.module, {"TESTING": True}).test_client()
    response = gallery.get(f"/{example.folder}/")
    assert response.status_code == 200, response.text
    page = soup_of(response)
    # The same page the example serves on its own...
    assert page.title == soup_of(own.get("/")).title
    # ...with the bar, right after <body>, leading back to the gallery.
    bar = page.body.find(recursive=False) if page.body else None
    assert bar is not None and bar.get("id") == "cookbook-bar"
    assert [a["href"] for a in bar.find_all("a")] == [
        "/",
        f"/readme/{example.folder}",
        f"/source/{example.folder}/",
    ]
    assert int(response.headers["Content-Length"]) == len(response.get_data())


def test_the_bar_is_only_added_to_html(gallery: Client) -> None:
    css = gallery.get("/sqlite3/static/style.css", buffered=True)
    assert css.status_code == 200
    assert b"cookbook-bar" not in css.get_data()
    api = gallery.get("/app_factory/api/about")
    assert api.json is not None and "site_name" in api.json


PAGE = b"<!doctype html><html><body><p>An uploaded page.</p></body></html>"


@pytest.fixture
def html_files(tmp_path: Path) -> Flask:
    """An app that serves HTML as files do, and one page it renders."""
    app = Flask(__name__)
    (tmp_path / "page.html").write_bytes(PAGE)

    @app.get("/file")  # ETag, Last-Modified, Accept-Ranges: Range and If-* work
    def file() -> Response:
        return send_file(tmp_path / "page.html")

    @app.get("/download")
    def download() -> Response:
        return send_file(io.BytesIO(PAGE), "text/html", as_attachment=True,
                         download_name="page.html", etag=False)  # fmt: skip

    @app.get("/tagged")
    def tagged() -> Response:
        response = Response(PAGE, mimetype="text/html")
        response.add_etag()
        return response

    @app.get("/page")
    def page() -> Response:
        return Response(PAGE, mimetype="text/html")

    return app


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/file", {}, 200),
        ("/file", {"Range": "bytes=0-"}, 206),
        ("/file", {"Range": "bytes=0-9999"}, 206),
        ("/file", {"If-None-Match": '"another"'}, 200),
        ("/download", {}, 200),
        ("/tagged", {}, 200),
    ],
)
def test_the_bar_never_changes_a_file_or_a_body_its_etag_names(
    html_files: Flask, path: str, headers: dict[str, str], status: int
) -> None:
    """An uploaded .html served as a download, a part of it, a page with an
    ETag: the bytes and their headers are the example's own."""
    own = html_files.test_client().get(path, headers=headers, buffered=True)
    assert own.status_code == status, own.text
    gallery = Client(GalleryBar(html_files, EXAMPLES[0]))
    barred = gallery.get(path, headers=headers, buffered=True)
    assert barred.status_code == status, barred.text
    assert barred.get_data() == own.get_data()
    for name in ("Content-Length", "Content-Range", "ETag", "Content-Disposition"):
        assert barred.headers.get(name) == own.headers.get(name), name


def test_a_rendered_page_without_a_validator_gets_the_bar(html_files: Flask) -> None:
    response = Client(GalleryBar(html_files, EXAMPLES[0])).get("/page")
    assert response.status_code == 200, response.text
    assert b'id="cookbook-bar"' in response.get_data()
    assert int(response.headers["Content-Length"]) == len(response.get_data())


def test_the_bar_carries_the_galleys_own_prefix(redis_url: str) -> None:
    outer = Client(
        DispatcherMiddleware(
            NotFound(), {"/cookbook": create_gallery({"TESTING": True})}
        )
    )
    page = soup_of(outer.get("/cookbook/sqlite3/"))
    bar = page.find(id="cookbook-bar")
    assert bar is not None
    assert bar.find("a")["href"] == "/cookbook/"


def test_a_readme_is_rendered_with_highlighted_code(gallery: Client) -> None:
    example = EXAMPLES[0]
    soup = soup_of(gallery.get(f"/readme/{example.folder}"))
    assert soup.h1 is not None and soup.h1.get_text() == example.title
    headings = [h2.get_text() for h2 in soup.find_all("h2")]
    assert headings == list(example.sections)
    assert soup.select(".highlight pre"), "code blocks are not highlighted"


def test_source_files_are_highlighted_with_line_numbers(gallery: Client) -> None:
    response = gallery.get("/source/sqlite3/notes/db.py")
    assert response.status_code == 200, response.text
    soup = soup_of(response)
    code = soup.select_one(".highlight")
    assert code is not None and "def get_db()" in code.get_text()
    source = (catalogue.EXAMPLES / "sqlite3" / "notes" / "db.py").read_text()
    lines = soup.select(".linenos a")
    assert len(lines) == len(source.splitlines())


def test_source_files_are_shown_escaped(gallery: Client) -> None:
    response = gallery.get("/source/sqlite3/notes/templates/base.html")
    assert response.status_code == 200, response.text
    assert "<!doctype html>\n<html" not in response.text.split("<body>", 1)[1]
    assert "&lt;" in response.text


def test_the_source_page_lists_the_examples_files(gallery: Client) -> None:
    soup = soup_of(gallery.get("/source/celery/"))
    listed = {a.get_text() for a in soup.select("ul.files a")}
    assert {"README.md", "make_celery.py", "task_app/__init__.py"} <= listed
    assert not any(
        "__pycache__" in name or name.startswith("instance/") for name in listed
    )


SHOWING = EXAMPLES  # every README shows its pattern (a catalogue check)


@pytest.mark.parametrize("example", SHOWING, ids=[e.folder for e in SHOWING])
def test_the_source_page_opens_on_the_pattern_with_its_lines_marked(
    gallery: Client, example: catalogue.Example
) -> None:
    """The file the README shows first, whole, with the README's lines marked."""
    _, filename, code = example.pattern_blocks[0]
    response = gallery.get(f"/source/{example.folder}/")
    assert response.status_code == 200, response.text
    section = soup_of(response).find("section", class_="pattern")
    assert section is not None and section.get("aria-label") == filename
    shown = (example.path / filename).read_text(encoding="utf-8").splitlines()
    assert len(section.select(".linenos a")) == len(shown)
    marked = [" ".join(m.get_text().split()) for m in section.select(".hll")]
    assert marked == [" ".join(line.split()) for line in code.splitlines()]


def test_a_binary_file_in_the_source_is_a_download(gallery: Client) -> None:
    soup = soup_of(gallery.get("/source/favicon/"))
    icon = "iconsite/static/favicon.ico"
    link = soup.find("a", string=icon)
    assert link is not None and "(download)" in link.parent.get_text()
    response = gallery.get(link["href"], buffered=True)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Disposition"] == "attachment; filename=favicon.ico"
    data = (catalogue.EXAMPLES / "favicon" / icon).read_bytes()
    assert response.get_data() == data


@pytest.mark.parametrize(
    "path",
    [
        "/readme/nope",
        "/source/celery/nope.py",
        "/source/celery/../../pyproject.toml",
        "/source/celery/%2e%2e/%2e%2e/pyproject.toml",
        "/source/nope/README.md",
        "/source/nope/",
    ],
)
def test_only_example_files_are_served(gallery: Client, path: str) -> None:
    assert gallery.get(path).status_code == 404


def test_a_symlink_in_an_example_is_not_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    examples = tmp_path / "examples"
    shutil.copytree(
        catalogue.EXAMPLES / "sqlite3",
        examples / "sqlite3",
        ignore=shutil.ignore_patterns("__pycache__", "instance"),
    )
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web")
    (examples / "sqlite3" / "notes" / "leak.txt").symlink_to(secret)
    monkeypatch.setattr(catalogue, "EXAMPLES", examples)
    gallery = Client(create_gallery({"TESTING": True}))
    assert "notes/leak.txt" not in gallery.get("/source/sqlite3/").text
    response = gallery.get("/source/sqlite3/notes/leak.txt")
    assert response.status_code == 404
    assert "not for the web" not in response.text


def test_the_favicon_is_served_at_the_root(gallery: Client) -> None:
    response = gallery.get("/favicon.ico", buffered=True)
    assert response.status_code == 200
    assert response.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert soup_of(gallery.get("/")).find("link", rel="icon")["href"] == "/favicon.ico"


@pytest.mark.parametrize("path", ["\r\nX", "x", "sqlite3", "\x00"])
def test_a_request_target_that_is_no_path_is_a_400(gallery: Client, path: str) -> None:
    response = gallery.get("/", environ_overrides={"PATH_INFO": path})
    assert response.status_code == 400, response.text
    assert "the path must start with /" in response.text


def test_a_crlf_request_target_over_real_http_is_a_400(redis_url: str) -> None:
    """The attack as it came in: a raw request line, through Werkzeug's server."""
    with services.LiveServer(create_gallery({"TESTING": True})) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"GET %0d%0aX HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]


# -- Each example its own session ------------------------------------------------------


def test_each_example_has_its_own_session_cookie(redis_url: str) -> None:
    gallery = Client(create_gallery({"TESTING": True}))
    gallery.get("/sqlite3/new")
    gallery.get("/app_factory/")
    cookies = {(c.path, c.key) for c in gallery._cookies.values()}
    assert ("/sqlite3/", "session") in cookies
    assert ("/app_factory/", "session") in cookies
    assert all(c.same_site == "Lax" for c in gallery._cookies.values())


def test_a_csrf_token_from_one_example_is_refused_by_another(redis_url: str) -> None:
    gallery = Client(create_gallery({"TESTING": True}))
    token = csrf_token(gallery.get("/app_factory/").get_data(as_text=True))
    response = gallery.post(
        "/sqlite3/new", data={"csrf_token": token, "title": "Forged", "body": ""}
    )
    assert response.status_code == 400, response.text
    assert "CSRF" in response.text
    # The example's own token still works.
    own = csrf_token(gallery.get("/sqlite3/new").get_data(as_text=True))
    response = gallery.post(
        "/sqlite3/new", data={"csrf_token": own, "title": "Real", "body": ""}
    )
    assert response.status_code == 303, response.text


def test_a_flash_from_one_example_does_not_show_in_another(redis_url: str) -> None:
    gallery = Client(create_gallery({"TESTING": True}))
    token = csrf_token(gallery.get("/sqlite3/new").get_data(as_text=True))
    gallery.post(
        "/sqlite3/new", data={"csrf_token": token, "title": "Mine", "body": ""}
    )
    assert "Created “Mine”." not in gallery.get("/app_factory/").get_data(as_text=True)
    assert "Created “Mine”." in gallery.get("/sqlite3/1").get_data(as_text=True)


@pytest.mark.browser
def test_a_visitor_goes_from_the_gallery_into_an_example_and_back(
    redis_url: str, page: Page
) -> None:
    with services.LiveServer(create_gallery({"TESTING": True})) as server:
        page.goto(server.url + "/")
        page.locator("#sqlite3").get_by_role("link", name="Open the app").click()
        expect(page).to_have_url(server.url + "/sqlite3/")
        expect(page.get_by_role("heading", name="Notes")).to_be_visible()
        page.locator("#cookbook-bar").get_by_role("link", name="README").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Using SQLite 3 with Flask"
        )
        page.get_by_role("link", name="Source").click()
        # The source page opens on the pattern; every other file is one click away.
        expect(page.locator(".pattern .hll").first).to_contain_text("def get_db()")
        page.get_by_role("list").get_by_role("link", name="notes/views.py").click()
        expect(page.locator(".highlight")).to_contain_text("def create()")
        page.get_by_role("link", name="Flask Cookbook").click()
        expect(page).to_have_url(server.url + "/")


# -- `make run`, end to end ------------------------------------------------------


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The code `make run` serves, copied so its instance/ data lands in tmp_path."""
    target = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "instance")
    for folder in ("cookbook", "examples"):
        shutil.copytree(catalogue.ROOT / folder, target / folder, ignore=ignore)
    return target


@pytest.fixture
def running_gallery(
    project_copy: Path,
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python -m cookbook run` in its own process group, as a terminal runs it."""
    port = services.free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    # A terminal's foreground job takes Ctrl-C; a test run started in the
    # background (nohup, `&` without job control) ignores SIGINT, and a child
    # would inherit that. Python's own handler here means the default there.
    ignored = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "cookbook", "run", "--port", str(port)],
            cwd=project_copy,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        signal.signal(signal.SIGINT, ignored)
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(base + "/", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    try:
        services.wait_until(
            answers,
            timeout=60,
            what="the gallery",
            alive=lambda: process.poll() is None,
        )
        yield process, base
    finally:
        # Whatever happened in the test: nothing of this run may outlive it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_make_run_serves_a_celery_task_and_ctrl_c_stops_everything(
    running_gallery: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, base = running_gallery
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = browser.open(base + "/celery/").read().decode()
    assert 'id="cookbook-bar"' in page
    token = csrf_token(page)

    def start(task: str, **form: str) -> str:
        body = urllib.parse.urlencode({"csrf_token": token, **form}).encode()
        with browser.open(f"{base}/celery/api/tasks/{task}", body) as response:
            assert response.status == 202
            status_url: str = json.load(response)["status_url"]
        assert re.fullmatch(r"/celery/api/tasks/[0-9a-f-]{36}", status_url)
        return status_url

    def status(url: str) -> dict[str, Any]:
        answer: dict[str, Any] = json.load(browser.open(base + url))
        return answer

    # One visitor's slow task does not hold another's: the worker runs several.
    slow = start("sleep", seconds="5")
    quick = start("process", total="3")
    states = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = status(quick)
        states.append(answer["state"])
        if answer["ready"]:
            break
        time.sleep(0.05)
    assert "PROGRESS" in states
    assert states[-1] == "SUCCESS"
    assert answer["result"] == {"current": 3, "total": 3}
    assert not status(slow)["ready"], "the quick task waited for the slow one"

    # Ctrl-C in a terminal signals the whole foreground process group.
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == 0
    services.wait_until(
        lambda: group_is_gone(process.pid), timeout=30, what="the gallery's processes"
    )
