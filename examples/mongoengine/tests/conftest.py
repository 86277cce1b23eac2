"""Fixtures in the style of Flask's tutorial: a fresh app per test on a
database of its own, and its test client.

The database is mongomock's, in memory, unless MONGODB_URI names a real
server: then each app gets a fresh database there, dropped after the test.
pytest's header says which.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import pymongo
import pytest
from flask import Flask
from flask.testing import FlaskClient
from mongoengine import disconnect

from movies import create_app
from movies import db

REAL_SERVER = os.environ.get("MONGODB_URI")

MakeApp = Callable[..., Flask]


def pytest_report_header() -> str:
    which = (
        f"a real server at {REAL_SERVER}"
        if REAL_SERVER
        else "mongomock (set MONGODB_URI for a real server)"
    )
    return f"MongoDB for the mongoengine tests: {which}"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Built with no test config, the app reads FLASK_* variables
    (`from_prefixed_env()`): the developer's own, such as FLASK_MONGODB_URI,
    must not change what the tests see (the tests of that layer set theirs)."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config() -> dict[str, Any]:
    """The test config: testing mode, a secret, CSRF off (two tests turn it on),
    and no demo movies. The database comes from `make_app`."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "DEMO_MOVIES": False,
    }


@pytest.fixture
def make_app(config: dict[str, Any]) -> Iterator[MakeApp]:
    """Build apps from the test config (and the keywords given), each on a
    database of its own: a new mongomock one, or a fresh one on the MONGODB_URI
    server. After the test: drop those and disconnect."""
    names: list[str] = []

    def make(**overrides: Any) -> Flask:
        if "MONGODB_URI" not in overrides:
            overrides["MONGODB_URI"] = None  # a new mongomock database
            if REAL_SERVER:
                names.append(f"movies_test_{uuid4().hex}")
                url = urlsplit(REAL_SERVER)._replace(path=f"/{names[-1]}")
                overrides["MONGODB_URI"] = url.geturl()
        return create_app({**config, **overrides})

    yield make
    if REAL_SERVER:
        client = pymongo.MongoClient(REAL_SERVER)
        for name in names:
            client.drop_database(name)
        client.close()
    disconnect(db.ALIAS)


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For the tests of the defaults: apps made during the test get a temporary
    instance folder (no config.py of the developer's) instead of instance/
    beside the package."""
    path = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path
