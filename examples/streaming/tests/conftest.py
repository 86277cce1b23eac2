"""Fixtures in the style of Flask's tutorial: a fresh app per test and its test
client. The app stores nothing, so it needs no database or instance folder."""

from __future__ import annotations

import os

import pytest
from flask import Flask
from flask.testing import FlaskClient

from streamer import create_app


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """create_app() reads FLASK_* variables: the developer's own (such as
    FLASK_SESSION_COOKIE_NAME or FLASK_APPLICATION_ROOT, which the tests'
    cookie and link checks would see) must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode, a secret, and no pause between the
    timeline's events (the tests watch their order, not the clock)."""
    return {"TESTING": True, "SECRET_KEY": "test", "TIMELINE_DELAY": 0}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
