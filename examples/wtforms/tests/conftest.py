"""Fixtures in the style of Flask's tutorial: a fresh app per test on a
temporary database and its test client. For the browser test: a real
threaded server, and Debian's Chromium under pytest-playwright."""

from __future__ import annotations

import functools
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
from werkzeug.security import generate_password_hash
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import make_server

from signup import create_app
from signup import users

# The app hashes passwords with Werkzeug's default, scrypt: slow on purpose,
# about a tenth of a second of CPU for every sign-up. The tests store quick
# hashes instead (one round of PBKDF2), which check_password_hash verifies the
# same way: the method is written in the hash. A test of the app's own hashing
# sets `password_hashing` to None.
QUICK_HASHING = "pbkdf2:sha256:1"

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
    """The test config: testing mode, a secret, CSRF off (the CSRF tests turn
    it on), and a users database of the test's own."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "DATABASE": str(tmp_path / "users.sqlite"),
    }


@pytest.fixture
def password_hashing() -> str | None:
    """The hash method sign-ups store passwords with (None: the app's own)."""
    return QUICK_HASHING


@pytest.fixture(autouse=True)
def _quick_password_hashes(
    password_hashing: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if password_hashing is not None:
        quick = functools.partial(generate_password_hash, method=password_hashing)
        monkeypatch.setattr(users, "generate_password_hash", quick)


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For the tests of the defaults: apps made during the test get a temporary
    instance folder instead of instance/ beside the package."""
    path = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path


@pytest.fixture
def live_server() -> Iterator[Callable[[WSGIApplication], str]]:
    """Serve a WSGI app behind a real threaded server on a free port, one thread
    per request as `flask run` serves it: `live_server(app)` starts it and
    returns its base URL. Every server started is shut down after the test."""
    started: list[tuple[BaseWSGIServer, Thread]] = []

    def serve(wsgi_app: WSGIApplication) -> str:
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
