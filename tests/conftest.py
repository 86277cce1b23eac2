"""Fixtures shared by every test module.

Each test gets a fresh temporary instance folder (so no test writes into the
repository); real servers are session-scoped, on free loopback ports, and
always stopped. Locally, a server that cannot be found skips its tests with a
reason that says what to install; under CI=true it fails them instead.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as StillWaiting
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from hypothesis import settings
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable
from werkzeug.exceptions import default_exceptions
from werkzeug.test import TestResponse

from cookbook import services

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Hypothesis: bounded so the whole suite stays quick. Locally it explores new
# inputs on every run; CI replays the same ones, so a landing never fails on a
# draw no one has seen before. HYPOTHESIS_PROFILE=deep digs much further.
settings.register_profile("default", max_examples=150, deadline=None)
settings.register_profile("ci", settings.get_profile("default"), derandomize=True)
settings.register_profile("deep", settings.get_profile("default"), max_examples=5000)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "default")
)


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI a missing server is a failure, never a quiet skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: every service must be there)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def instance_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every Flask app created during the test at its own instance folder.

    The examples keep their data (SQLite files, uploads) in the instance
    folder, as a real project would; here that folder is temporary.
    """
    path = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own FLASK_* variables and REDIS_URL must not change what
    tests see (the `redis_url` fixture sets REDIS_URL for a test that asks)."""
    for name in list(os.environ):
        if name.startswith("FLASK_") or name == "REDIS_URL":
            monkeypatch.delenv(name)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def assert_error_page(
    response: TestResponse, status: int, message: str, *, site: str, back: str
) -> None:
    """An example's own HTML error page (not Werkzeug's): its layout, its
    message, and its way back (a link with the text `back` to the index)."""
    assert response.status_code == status, response.text
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None
    # The status name as Werkzeug gives it to the page (its wording changes in
    # Werkzeug 3.2, which takes it from http.HTTPStatus).
    name = default_exceptions[status]().name
    assert soup.title.get_text() == f"{status} {name} · {site}"
    assert message in response.text
    link = soup.find("a", string=back)
    assert link is not None, response.text
    assert link.get("href") == "/"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[services.RedisServer]:
    """A private redis-server for this run: each test gets a database of its own.

    Never the developer's own REDIS_URL: tests wipe the databases they use.
    """
    server = services.RedisServer(databases=1024)
    try:
        server.start()
    except services.ServiceUnavailable as error:
        unavailable(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(
    redis_server: services.RedisServer, monkeypatch: pytest.MonkeyPatch
) -> str:
    """An empty Redis database for this test, exported as REDIS_URL."""
    url = redis_server.new_database()
    monkeypatch.setenv("REDIS_URL", url)
    return url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[services.PostgresServer]:
    """A private PostgreSQL cluster for this run, started once and always stopped."""
    server = services.PostgresServer()
    try:
        server.start()
    except services.ServiceUnavailable as error:
        server.stop()
        unavailable(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def ssh_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[services.SSHServer]:
    """A private sshd for this run that lets in one throwaway key; always stopped."""
    server = services.SSHServer(tmp_path_factory.mktemp("sshd"))
    try:
        server.start()
    except services.ServiceUnavailable as error:
        server.stop()
        unavailable(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's), driven by Playwright."""
    try:
        executable = services.find_chromium()
    except services.ServiceUnavailable as error:
        unavailable(str(error))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=services.CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab with its own cookies, closed after the test."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def pytest_report_header() -> str:
    uri = os.environ.get("MONGODB_URI")
    which = (
        f"a real server at {uri}"
        if uri
        else "mongomock (set MONGODB_URI for a real server)"
    )
    return f"MongoDB for the mongoengine tests: {which}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI a skipped test is a failure: CI must run the whole suite."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if IN_CI and skipped and session.exitstatus == pytest.ExitCode.OK:
        print(f"\nCI=true: {len(skipped)} test(s) skipped; CI runs everything.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def frozen_redis() -> Iterator[services.RedisServer]:
    """A Redis server that accepts connections but never answers (SIGSTOP)."""
    server = services.RedisServer(databases=1)
    try:
        server.start()
    except services.ServiceUnavailable as error:
        unavailable(str(error))
    try:
        assert server._process is not None
        os.kill(server._process.pid, signal.SIGSTOP)
        yield server
    finally:
        if server._process is not None:
            os.kill(server._process.pid, signal.SIGCONT)
        server.stop()


def answer_within(seconds: float, request: Callable[[], TestResponse]) -> TestResponse:
    """The response, or a failure that says the request hangs.

    A hung request is left behind (no waiting for it): the fixture that froze
    the server thaws and stops it after the test, and that releases it.
    """
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(request).result(timeout=seconds)
    except StillWaiting:
        raise AssertionError(f"no answer after {seconds} s: no timeout?") from None
    finally:
        pool.shutdown(wait=False)


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
