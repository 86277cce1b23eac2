"""Fixtures in the style of Flask's tutorial: a fresh app per test and its test
client. The app stores nothing (its users and cache live in memory), so there
is no database or instance folder to pass in."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from guarded_views import create_app


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
