"""Fixtures in the style of Flask's tutorial: a fresh app per test and its test
client. The guide stores nothing, so there is no database to set up."""

from __future__ import annotations

import os

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tea_guide import create_app


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """create_app() reads FLASK_* variables: the developer's own (such as
    FLASK_APPLICATION_ROOT, which moves every link) must not change what the
    tests see."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode and a secret of its own."""
    return {"TESTING": True, "SECRET_KEY": "test"}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
