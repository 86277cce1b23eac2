"""Fixtures in the style of Flask's tutorial: a fresh app per test and its
test client. The app keeps no data, so there is no database to pass in."""

from __future__ import annotations

import os

import pytest
from flask import Flask
from flask.testing import FlaskClient

from iconsite import create_app


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own FLASK_* variables (FLASK_FAVICON_REDIRECT=true, as
    the README suggests trying) must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode. The app signs nothing: no secret."""
    return {"TESTING": True}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
