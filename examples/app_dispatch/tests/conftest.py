"""Fixtures in the style of Flask's tutorial: a fresh portal per test and its
test client. The portal keeps no data, so there is no database to pass in."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (one test turns it on).
    The team portals are built with it too. Given a test config, the factory
    reads neither instance/config.py nor the developer's FLASK_* variables."""
    return {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
