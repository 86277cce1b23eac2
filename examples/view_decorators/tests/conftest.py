"""Fixtures in the style of Flask's tutorial: a fresh app per test on a
database of its own, and its test client."""

from __future__ import annotations

import functools
import secrets
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from guarded_views import auth
from guarded_views import create_app

# The app hashes with Werkzeug's default, scrypt: slow on purpose, about a tenth
# of a second of CPU for every login. The tests store quick hashes instead (one
# round of PBKDF2), which check_password_hash verifies the same way: the method
# is written in the hash. A test of the app's own hashing sets
# `password_hashing` to None.
QUICK_HASHING = "pbkdf2:sha256:1"


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
def password_hashing() -> str | None:
    """The hash method the demo user's password is stored with (None: the app's)."""
    return QUICK_HASHING


@pytest.fixture(autouse=True)
def _quick_password_hashes(
    password_hashing: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if password_hashing is None:
        return
    quick = functools.partial(generate_password_hash, method=password_hashing)
    monkeypatch.setattr(auth, "DEMO_HASH", quick(auth.DEMO_PASSWORD))
    monkeypatch.setattr(auth, "NO_SUCH_USER", quick(secrets.token_urlsafe()))


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
