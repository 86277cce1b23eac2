"""Fixtures in the style of Flask's tutorial (a fresh app per test and its test
client), and what the browser tests need: the app behind a real server, and
pytest-playwright's `page` on Debian's Chromium. The app stores nothing, so it
needs no database or instance folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from threading import Thread
from typing import Any
from typing import NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from planet_guide import create_app

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


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode (the app signs nothing: no secret)."""
    return {"TESTING": True}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def prefix() -> str:
    """Where `live_server` mounts the app: the root, unless a test parametrizes
    `prefix` (as the gallery mounts it under one)."""
    return ""


@pytest.fixture
def live_server(app: Flask, prefix: str) -> Iterator[str]:
    """The app behind a real threaded WSGI server on a free port, mounted at
    `prefix`, as `flask run` serves it. Yields its base URL, prefix included."""
    wsgi = DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    # shutdown() waits for the loop to poll again: every 0.5 s by default.
    poll = {"poll_interval": 0.05}
    thread = Thread(target=server.serve_forever, kwargs=poll, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{prefix}"
    finally:
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
