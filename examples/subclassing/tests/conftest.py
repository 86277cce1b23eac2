"""Fixtures in the style of Flask's tutorial: a fresh app per test on a
temporary database, its test client, and a client that shows the wire."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import Client

from ledger import create_app


@pytest.fixture
def config(tmp_path: Path) -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (one test turns it on),
    and a database of the test's own."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "DATABASE": str(tmp_path / "ledger.sqlite"),
    }


@pytest.fixture
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For the tests of the factory without a test config: apps made during the
    test get a temporary instance folder instead of instance/ beside the package."""
    path = tmp_path / "instance"
    path.mkdir()
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def wire(app: Flask) -> Client:
    """A client that shows the headers as sent. (Flask's test client wraps its
    responses in the app's response_class, which would add the security headers
    on the test's side and hide a response that lacks them.)"""
    return Client(app)
