"""Benchmarks: every figure is a ratio of two things measured in the same run.

`python -m bench` runs them all, prints one table and writes it to
bench/RESULTS.md. Servers bind to 127.0.0.1 only, every loop is bounded in
count and in time, and everything a benchmark starts is stopped by a `with`
block. Timings live here and never in the tests.

This module holds what the benchmarks share: the result row, a gunicorn
server, peak memory of its workers, and a small HTTP client.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cookbook.services import free_port
from cookbook.services import Service
from cookbook.services import ServiceUnavailable
from cookbook.services import wait_until

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
GIB = 1024 * MIB


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    benchmark: str
    measured: str
    against: str
    figure: str
    target: str
    met: bool | None  # None: no target (a contrast, or for information)
    # Shown under the table when the target is missed: why, and what would close it.
    why_missed: str = ""
    # Markdown shown after the table (and the missed targets): the details.
    details: str = ""


def mib(n_bytes: float) -> str:
    digits = 2 if abs(n_bytes) < 10 * MIB else 1
    return f"{n_bytes / MIB:,.{digits}f} MiB"


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def base_env(**extra: str) -> dict[str, str]:
    """The environment of a server the bench starts: a fresh secret, no debug.

    FLASK_* and REDIS_URL of the person running the bench are left out, so
    their own settings cannot change what is measured.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FLASK_") and k != "REDIS_URL"
    }
    env["FLASK_SECRET_KEY"] = os.urandom(16).hex()
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


@contextlib.contextmanager
def scratch(prefix: str, folder: str | Path | None = None) -> Iterator[Path]:
    """A temporary folder for one benchmark, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=f"bench-{prefix}-", dir=folder))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _die_with_parent() -> None:
    """In the child: SIGTERM when the bench dies, so no server outlives it."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ServerProcess(Service):
    """An HTTP server in a subprocess on a free loopback port, stopped however
    the `with` block ends. Ready once `ready_path` answers 200 (and, for
    gunicorn, once all its workers are up)."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        ready_path: str = "/",
        workers: int = 1,
    ) -> None:
        self.port = free_port()
        self.env = dict(env)
        self.ready_path = ready_path
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None
        descriptor, log = tempfile.mkstemp(prefix="bench-server-", suffix=".log")
        os.close(descriptor)
        self.log = Path(log)

    def command(self) -> list[str]:
        raise NotImplementedError

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        return [self.process.pid]

    def _ready(self) -> bool:
        try:
            status, _, _ = request("127.0.0.1", self.port, "GET", self.ready_path)
        except OSError:
            return False
        return status == 200 and len(self.worker_pids()) >= self.workers

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        process = self.process
        try:
            wait_until(
                self._ready,
                timeout=60,
                what=" ".join(self.command()[-1:]),
                alive=lambda: process.poll() is None,
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def remove_log(self) -> None:
        self.log.unlink(missing_ok=True)

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop()
        finally:
            self.remove_log()


class Gunicorn(ServerProcess):
    """gunicorn serving an app factory string, e.g. 'bench.apps:streaming()'."""

    def __init__(
        self,
        app: str,
        *,
        env: Mapping[str, str],
        ready_path: str = "/",
        workers: int = 1,
        worker_class: str = "sync",
        threads: int = 1,
        timeout: int = 600,
    ) -> None:
        super().__init__(env=env, ready_path=ready_path, workers=workers)
        self.app = app
        self.worker_class = worker_class
        self.threads = threads
        self.timeout = timeout

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers),
            "--worker-class", self.worker_class,
            "--threads", str(self.threads),
            # A sync worker's heartbeat stops while it serves one long
            # response (a 1 GiB download): keep the arbiter from killing it.
            "--timeout", str(self.timeout),
            "--graceful-timeout", "5",
            "--log-level", "warning",
            self.app,
        ]  # fmt: skip

    def worker_pids(self) -> list[int]:
        """The master's children: the worker processes."""
        assert self.process is not None
        pid = self.process.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except FileNotFoundError:
            return []
        return [int(child) for child in text.split()]


class FlaskRun(ServerProcess):
    """`flask --app <factory> run`: Werkzeug's threaded development server."""

    def __init__(self, app: str, *, env: Mapping[str, str], ready_path: str = "/"):
        super().__init__(env=env, ready_path=ready_path)
        self.app = app

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "flask", "--app", self.app, "run",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--with-threads", "--no-reload", "--no-debugger",
        ]  # fmt: skip


# -- Memory --------------------------------------------------------------------


def status_bytes(pid: int, field: str) -> int:
    """A size from /proc/<pid>/status (VmRSS, VmHWM ...), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"no {field} for process {pid}")


def peak_growth(pid: int, action: Callable[[], object]) -> int:
    """How far the peak resident memory of `pid` rises above its current size
    while `action` runs.

    Writing 5 to /proc/<pid>/clear_refs resets the peak (VmHWM) to the
    current size, so the peak afterwards belongs to `action` alone. Where
    that is not allowed, the peak before `action` is the baseline.
    """
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        baseline = status_bytes(pid, "VmRSS")
    except OSError:
        baseline = status_bytes(pid, "VmHWM")
    action()
    return status_bytes(pid, "VmHWM") - baseline


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU time used so far by these processes, all threads.

    A server's cost per request, measured this way, holds steady while other
    work on the machine takes cores away from it; requests per wall-clock
    second do not.
    """
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# -- HTTP ------------------------------------------------------------------------

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
COOKIE = re.compile(r"^(session=[^;]*)")


def request(
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes | Iterable[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection: status, headers, whole body."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


def session_and_token(port: int, path: str) -> tuple[str, str]:
    """A session cookie and the CSRF token of the form on `path`, as a browser
    gets them by loading the page."""
    status, headers, body = request("127.0.0.1", port, "GET", path)
    if status != 200:
        raise ServiceUnavailable(f"GET {path} answered {status}")
    token = TOKEN.search(body.decode())
    cookie = COOKIE.match(headers.get("set-cookie", ""))
    if token is None or cookie is None:
        raise ServiceUnavailable(f"GET {path} gave no CSRF token or session cookie")
    return cookie.group(1), token.group(1)


class Timer:
    """Elapsed seconds of a `with` block, on the monotonic high-resolution clock."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.perf_counter() - self.start
