"""Fixtures in the style of Flask's tutorial: a fresh app per test with a files
folder of its own, and its test client."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from digest_check import create_app


@pytest.fixture
def files_folder(tmp_path: Path) -> Path:
    """Where the app stores the files it has checked: one folder per test."""
    return tmp_path / "files"


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


@pytest.fixture
def config(files_folder: Path) -> dict[str, object]:
    """The test config: testing mode and a files folder of the test's own."""
    return {"TESTING": True, "FILES_FOLDER": str(files_folder)}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
