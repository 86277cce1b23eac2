"""Fixtures in the style of Flask's tutorial: a fresh app per test on a
temporary database, and its test client."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checklist import create_app


@pytest.fixture
def config(tmp_path: Path) -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (`csrf_app` turns it
    on), and a database of the test's own."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "DATABASE": str(tmp_path / "checklist.sqlite"),
    }


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def csrf_app(config: dict[str, object]) -> Flask:
    """The app with CSRF protection on, as deployed."""
    return create_app({**config, "WTF_CSRF_ENABLED": True})


@pytest.fixture
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For the tests of the factory's defaults: apps made during the test get a
    temporary instance folder instead of instance/ beside the package, and do
    not see the developer's own FLASK_* variables."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)
    path = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path
