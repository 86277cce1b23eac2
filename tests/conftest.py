"""Fixtures of the checks across examples (the catalogue, the gallery, page
quality, reliability). Each example's own tests have their own conftest.py.

Every app these checks build gets a fresh temporary instance folder (so no
test writes into the repository); real servers are session-scoped, on free
loopback ports, and always stopped. Locally, a server that cannot be found
skips its tests with a reason that says what to install; under CI=true it
fails them instead, and so does any skipped test of the run (examples' own
included).
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from typing import NoReturn

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

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


class TemplateCodeCache(BytecodeCache):
    """Compiled templates kept in memory for the whole run, keyed by file and
    source (an edited template compiles again)."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


def pytest_configure(config: pytest.Config) -> None:
    """Every test builds its apps anew, and a new app compiles each template it
    renders again: thousands of compilations of the same few hundred files in a
    whole run. Apps built in this process share their compiled templates."""
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": TemplateCodeCache()}


@given(st.none())
def _hypothesis_started(nothing: None) -> None:
    """Run once before gc.freeze(): see below."""


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built (modules, thousands of test items) lives until the
    end: the garbage collector need not scan it again, and with that much alive
    it runs less often. It took about a tenth of a test process's CPU time.

    Hypothesis starts first: on its first run it registers a PRNG of its own,
    and checks with `gc.get_referrers` that something holds it, which a frozen
    holder is hidden from (Hypothesis 6.100, the oldest allowed, then fails)."""
    _hypothesis_started()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


@pytest.hookimpl(trylast=True)  # after pytest groups the tests by fixture
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked slow first, the others in their order: pytest-xdist gives
    each worker its share of the run in order, and a test of half a minute
    started near the end ends last, when the other workers are idle. The slow
    tests of one module stay together: its module-scoped fixtures (the page
    checks' site) are built once."""

    def slow_first(item: pytest.Item) -> tuple[bool, str]:
        slow = item.get_closest_marker("slow") is not None
        return (not slow, str(item.path) if slow else "")

    items.sort(key=slow_first)


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI a missing server is a failure, never a quiet skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: every service must be there)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def instance_folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instances")


@pytest.fixture(autouse=True)
def instance_path(instance_folders: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every Flask app created during the test at its own instance folder.

    The examples keep their data (SQLite files, uploads) in the instance
    folder, as a real project would; here that folder is temporary. It is
    not made here, only named: an app makes it when it first writes there,
    and most of these tests write nothing (a folder per test is a thousand
    folders to make, and to delete on a later run).
    """
    path = instance_folders / uuid.uuid4().hex
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
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any],
) -> dict[str, Any]:
    """pytest-playwright's `browser` and `page` on Debian's Chromium (never a
    downloaded browser build), with the switches that keep it quiet offline."""
    headless = browser_type_launch_args.get("headless", True)
    try:
        executable = services.find_chromium(headless=headless)
    except services.ServiceUnavailable as error:
        unavailable(str(error))
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": services.CHROMIUM_ARGS,
    }


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
