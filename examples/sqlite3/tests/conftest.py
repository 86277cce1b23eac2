"""Fixtures in the style of Flask's tutorial: a fresh app per test on a
temporary database, its test client and its CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from threading import Thread

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner
from werkzeug.serving import make_server

from notes import create_app


@pytest.fixture
def config(tmp_path: Path) -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (one test turns it on),
    and a database of the test's own."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "DATABASE": str(tmp_path / "notes.sqlite"),
    }


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For the tests of the defaults: apps made during the test get a temporary
    instance folder instead of instance/ beside the package."""
    path = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app behind a real threaded WSGI server on a free port: one thread per
    request, as `flask run` serves it. Yields "127.0.0.1:<port>"."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the loop to poll again: every 0.5 s by default.
    poll = {"poll_interval": 0.05}
    thread = Thread(target=server.serve_forever, kwargs=poll, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
