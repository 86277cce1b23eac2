"""The gallery: every example mounted under /<folder>/, and `make run` end to end."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from werkzeug.test import Client

from cookbook import catalogue
from cookbook import services
from cookbook.gallery import create_gallery

EXAMPLES = catalogue.discover()


@pytest.fixture
def gallery(redis_url: str) -> Client:
    return Client(create_gallery({"TESTING": True, "SECRET_KEY": "gallery"}))


def test_the_index_lists_every_example(gallery: Client) -> None:
    soup = BeautifulSoup(gallery.get("/").get_data(as_text=True), "html.parser")
    for example in EXAMPLES:
        section = soup.find(id=example.folder)
        assert section is not None, f"{example.folder} is not on the index"
        text = " ".join(section.get_text().split())
        assert example.title in text
        assert example.summary.replace("`", "") in text  # rendered: `code` is <code>
        links = {a["href"] for a in section.find_all("a")}
        assert f"/{example.folder}/" in links
        assert f"/readme/{example.folder}" in links
        assert f"/source/{example.folder}/__init__.py" in links


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.folder for e in EXAMPLES])
def test_every_example_answers_at_its_folder(
    gallery: Client, example: catalogue.Example
) -> None:
    own = catalogue.load_app(example.module, {"TESTING": True}).test_client()
    response = gallery.get(f"/{example.folder}/")
    assert response.status_code == 200
    # The same page the example serves on its own.
    assert title(response.get_data(as_text=True)) == title(
        own.get("/").get_data(as_text=True)
    )


def title(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    assert soup.title is not None
    return soup.title.get_text()


def test_a_readme_is_rendered_as_html(gallery: Client) -> None:
    example = EXAMPLES[0]
    soup = BeautifulSoup(
        gallery.get(f"/readme/{example.folder}").get_data(as_text=True), "html.parser"
    )
    assert soup.h1 is not None and soup.h1.get_text() == example.title
    headings = [h2.get_text() for h2 in soup.find_all("h2")]
    assert headings[: len(catalogue.README_SECTIONS)] == list(catalogue.README_SECTIONS)


def test_source_files_are_shown_escaped(gallery: Client) -> None:
    response = gallery.get("/source/celery/templates/celery/base.html")
    assert response.status_code == 200
    assert "&lt;!doctype html&gt;" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/readme/nope",
        "/source/celery/nope.py",
        "/source/celery/../../pyproject.toml",
        "/source/celery/%2e%2e/%2e%2e/pyproject.toml",
        "/source/nope/__init__.py",
    ],
)
def test_only_example_files_are_served(gallery: Client, path: str) -> None:
    assert gallery.get(path).status_code == 404


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
    process = subprocess.Popen(
        [sys.executable, "-m", "cookbook", "run", "--port", str(port)],
        cwd=project_copy,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
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


def test_make_run_serves_a_celery_task_and_ctrl_c_stops_everything(
    running_gallery: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, base = running_gallery
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = browser.open(base + "/celery/").read().decode()
    form = BeautifulSoup(page, "html.parser").find(
        "form", action="/celery/tasks/process"
    )
    assert form is not None
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    body = urllib.parse.urlencode({"csrf_token": token, "total": "3"}).encode()
    with browser.open(base + form["action"], body) as response:
        assert response.status == 202
        status_url = json.load(response)["status_url"]
    assert re.fullmatch(r"/celery/tasks/[0-9a-f-]{36}", status_url)

    states = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = json.load(browser.open(base + status_url))
        states.append(status["state"])
        if status["ready"]:
            break
        time.sleep(0.05)
    assert "PROGRESS" in states
    assert states[-1] == "SUCCESS"
    assert status["result"] == {"current": 3, "total": 3}

    # Ctrl-C in a terminal signals the whole foreground process group.
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == 0
    services.wait_until(
        lambda: group_is_gone(process.pid), timeout=30, what="the gallery's processes"
    )
