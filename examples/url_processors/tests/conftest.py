"""Fixtures in the style of Flask's tutorial: a fresh app per test and its
test client. The app stores nothing, so it needs no database or instance
folder of its own."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from polyglot import create_app


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
