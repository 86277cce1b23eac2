"""Fixtures in the style of Flask's tutorial: a fresh app per test with an
upload folder of its own, and its test client. For the browser test: a live
server, and pytest-playwright's `page` on Debian's Chromium.

Locally, a browser that cannot be found skips the browser test with a reason
that says what to install; under CI=true it fails it instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from threading import Thread
from typing import Any
from typing import NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import make_server

from filedrop import create_app

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
        pytest.fail(f"{reason} (CI=true: the browser test must run)")
    pytest.skip(reason)


@pytest.fixture
def config(tmp_path: Path) -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (two tests turn it on),
    and an upload folder of the test's own. Two levels down, as the default
    instance/uploads is, so that a name like "../../evil.txt" that escaped the
    folder would still land in tmp_path, where the tests look for it."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "instance" / "uploads"),
    }


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], str]]:
    """Serve a WSGI app (the app, or the app mounted under a prefix) behind a
    real threaded server on a free port: one thread per request, as `flask run`
    serves it. Returns "http://127.0.0.1:<port>"; every server it started is
    shut down after the test."""
    started: list[tuple[BaseWSGIServer, Thread]] = []

    def serve(wsgi_app: Any) -> str:
        server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        # shutdown() waits for the loop to poll again: every 0.5 s by default.
        poll = {"poll_interval": 0.05}
        thread = Thread(target=server.serve_forever, kwargs=poll, daemon=True)
        thread.start()
        started.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    try:
        yield serve
    finally:
        for server, thread in started:
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
