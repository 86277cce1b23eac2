"""Fixtures in the style of Flask's tutorial (a fresh app per test and its test
client), and what the browser tests need: real servers, and pytest-playwright's
`page` on Debian's Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from collections.abc import Iterator
from threading import Thread
from typing import Any
from typing import NoReturn
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import make_server

from adder import create_app

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Keeps Chromium from calling home on a closed network; --no-sandbox as root.
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
    """Flask reads FLASK_DEBUG into DEBUG when it builds an app: the developer's
    own FLASK_* variables must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode. The app signs nothing and stores no
    data, so there is no secret or database to pass in."""
    return {"TESTING": True}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def live_server() -> Iterator[Callable[[WSGIApplication], str]]:
    """Serve a WSGI app behind a real threaded server on a free port, one thread
    per request as `flask run` serves it: `live_server(app)` returns its URL,
    "http://127.0.0.1:<port>". Every server started is shut down after the test."""
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
