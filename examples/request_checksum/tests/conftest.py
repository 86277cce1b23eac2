"""Fixtures in the style of Flask's tutorial: a fresh app per test with a files
folder of its own, and its test client."""

from __future__ import annotations

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
def config(files_folder: Path) -> dict[str, object]:
    """The test config: testing mode and a files folder of the test's own."""
    return {"TESTING": True, "FILES_FOLDER": str(files_folder)}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
