"""Fixtures in the style of Flask's tutorial: a fresh app per test on a
temporary database, and its test client.

The module-level `app` is the pattern, so there is no factory to call: each
app is the package imported afresh, its config given as FLASK_* variables
that its `from_prefixed_env()` reads at import, before its checks run.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

PACKAGE = "guestbook"


def import_app(config: Mapping[str, Any]) -> Flask:
    """A fresh module-level app: the package and its modules imported again,
    with `config` in the environment while they run."""
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]
    with pytest.MonkeyPatch.context() as monkeypatch:
        for key, value in config.items():
            monkeypatch.setenv(f"FLASK_{key}", json.dumps(value))
        module = importlib.import_module(PACKAGE)
    app: Flask = module.app
    return app


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app reads FLASK_* variables at import: the developer's own (such as
    FLASK_DATABASE or FLASK_WTF_CSRF_ENABLED) must not change what tests see."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config(tmp_path: Path) -> dict[str, Any]:
    """The test config: testing mode, a secret, CSRF off (one test turns it on),
    and a database of the test's own."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "DATABASE": str(tmp_path / "guestbook.sqlite"),
    }


@pytest.fixture
def load_app() -> Callable[[Mapping[str, Any]], Flask]:
    """For tests that need another app in the same test: import it afresh with
    the config given."""
    return import_app


@pytest.fixture
def app(config: dict[str, Any]) -> Flask:
    return import_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For the tests of the defaults: apps made during the test get a temporary
    instance folder instead of instance/ beside the package."""
    path = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path
