"""Fixtures in the style of Flask's tutorial: a fresh app per test on a
database of its own, and its test client."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from guarded_views import create_app


@pytest.fixture
def config(tmp_path: Path) -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (one test turns it on),
    and the test's own users database."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "DATABASE": str(tmp_path / "users.sqlite"),
    }


@pytest.fixture
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For the tests of a deployment's defaults: apps made during the test get a
    temporary instance folder instead of instance/ beside the package."""
    path = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
