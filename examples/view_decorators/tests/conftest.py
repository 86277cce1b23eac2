"""Fixtures in the style of Flask's tutorial: a fresh app per test and its test
client. The app stores nothing (its users and cache live in memory), so there
is no database or instance folder to pass in."""

from __future__ import annotations

import os

import pytest
from flask import Flask
from flask.testing import FlaskClient

from guarded_views import create_app


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """create_app() reads FLASK_* variables: the developer's own (such as
    FLASK_APPLICATION_ROOT, which moves every redirect, or
    FLASK_WTF_CSRF_ENABLED) must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (one test turns it on)."""
    return {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
