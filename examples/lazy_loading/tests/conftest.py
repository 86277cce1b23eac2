"""Fixtures in the style of Flask's tutorial: a fresh app per test, as a freshly
started process sees it (no view module imported yet), and its test client."""

from __future__ import annotations

import os
import sys

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lazyapp import create_app

# The lazily imported view modules, by the package's own import name.
VIEW_MODULES = tuple(f"{create_app.__module__}.{name}" for name in ("views", "users"))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own FLASK_* variables must not change what tests see:
    FLASK_DEBUG, for one, would turn the logged 500 into a raised error."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode. The app signs nothing and keeps no data,
    so there is no secret, database or instance path to pass in."""
    return {"TESTING": True}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    # Forget the view modules an earlier test imported, so that each test sees
    # what a freshly started process sees, whatever order the tests run in.
    for name in VIEW_MODULES:
        sys.modules.pop(name, None)
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
