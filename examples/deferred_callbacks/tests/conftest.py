"""Fixtures in the style of Flask's tutorial: a fresh app per test and its test
client. The app stores nothing, so it needs no database or instance folder."""

from __future__ import annotations

import os

import pytest
from flask import Flask
from flask.testing import FlaskClient

from visitor_cookie import create_app


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own FLASK_* variables must not change what the tests see:
    FLASK_DEBUG=1, for one, makes a failing view raise instead of answering 500."""
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
