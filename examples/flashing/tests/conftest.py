"""Fixtures in the style of Flask's tutorial: a fresh app per test and its test
client. The list lives in memory, so there is no database to pass in. For the
browser tests: a live server, and pytest-playwright on Debian's Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from threading import Thread
from typing import Any
from typing import NoReturn
from wsgiref.types import WSGIApplication

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import make_server

from mailing_list import create_app

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Keeps Chromium from calling home on a closed network; --no-sandbox as root,
# where Chromium refuses to start without it.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    *(["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
]


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI a missing browser is a failure, never a quiet skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Built without a test config, the factory reads FLASK_* variables: the
    developer's own (FLASK_DEBUG=1 makes a failing view raise instead of
    answering 500) must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For the tests of the secret: apps made during the test get a temporary
    instance folder (for instance/config.py) instead of instance/ beside the
    package."""
    path = tmp_path / "instance"
    path.mkdir()
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (the CSRF and browser
    tests turn it on)."""
    return {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def live_server() -> Iterator[Callable[[WSGIApplication], str]]:
    """Serve a WSGI app behind a real threaded server on a free port, as `flask
    run` serves it: `live_server(app)` returns its base URL. Every server
    started is shut down after the test."""
    running: list[tuple[BaseWSGIServer, Thread]] = []

    def serve(wsgi: WSGIApplication) -> str:
        server = make_server("127.0.0.1", 0, wsgi, threaded=True)
        # shutdown() waits for the loop to poll again: every 0.5 s by default.
        poll = {"poll_interval": 0.05}
        thread = Thread(target=server.serve_forever, kwargs=poll, daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    try:
        yield serve
    finally:
        for server, thread in running:
            server.shutdown()
            server.server_close()
            thread.join()


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any],
) -> dict[str, Any]:
    """pytest-playwright's `browser` and `page` on Debian's Chromium (never a
    downloaded browser build), with the switches that keep it quiet offline.
    Headless, its old headless shell where installed: what Playwright itself
    runs headless, at about half the CPU time of the whole browser."""
    headless = browser_type_launch_args.get("headless", True)
    names = ["chromium-headless-shell"] if headless else []
    for name in [*names, "chromium", "chromium-browser", "google-chrome"]:
        if executable := shutil.which(name):
            break
    else:
        unavailable(
            "no Chromium found: install it"
            " (`apt-get install chromium chromium-headless-shell`)"
        )
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": CHROMIUM_ARGS,
    }
