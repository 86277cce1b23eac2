"""Fixtures in the style of Flask's tutorial: a fresh app per test and its test
client. The app stores nothing, so it needs no database; only the tests of its
secret give it an instance folder, for instance/config.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from visitor_cookie import create_app


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Built without a test config, the factory reads FLASK_* variables: the
    developer's own (FLASK_DEBUG=1 makes a failing view raise instead of
    answering 500) must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (the "Forget me" tests
    turn it on)."""
    return {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For the tests of the secret: apps made during the test get a temporary
    instance folder (for instance/config.py) instead of instance/ beside the
    package."""
    path = tmp_path / "instance"
    path.mkdir()
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path
