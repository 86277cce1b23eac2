"""Fixtures in the style of Flask's tutorial: a fresh app per test and its test
client. The app stores nothing, so it needs no database or instance folder."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from visitor_cookie import create_app


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's FLASK_DEBUG=1 makes a failing view raise instead of
    answering 500 (the factory reads no other variable under a test config)."""
    monkeypatch.delenv("FLASK_DEBUG", raising=False)


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
