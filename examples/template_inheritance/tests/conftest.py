"""Fixtures in the style of Flask's tutorial: a fresh app per test and its test
client. The guide stores nothing and signs nothing: no database, no secret."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tea_guide import create_app


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
