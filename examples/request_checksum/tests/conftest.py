"""Fixtures in the style of Flask's tutorial: a fresh app per test with a files
folder of its own, and its test client."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from digest_check import create_app


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app reads FLASK_* variables as config (`from_prefixed_env()`): the
    developer's own, such as FLASK_MAX_CONTENT_LENGTH, must not change what
    the tests see."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def files_folder(tmp_path: Path) -> Path:
    """Where the app stores the files it has checked: one folder per test."""
    return tmp_path / "files"


@pytest.fixture
def config(files_folder: Path) -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (one test turns it on),
    and a files folder of the test's own."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "FILES_FOLDER": str(files_folder),
    }


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
