"""Fixtures in the style of Flask's tutorial: a fresh app per test and its test
client. The app stores nothing, so it needs no database or instance folder."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from streamer import create_app


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
