"""Real servers in processes of their own: Werkzeug's threaded server (the
gallery, or some examples) and gunicorn (some examples).

Each binds a free port on 127.0.0.1, is ready when it answers a request
(never after a sleep), writes its errors to a log the checks read, and is
stopped when its `with` block ends. A process of its own, so that its memory
and threads can be read, and its work runs beside the clients' GIL.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from cookbook import services
from cookbook.catalogue import ROOT

from . import client


def status(pid: int) -> dict[str, str]:
    """The fields of /proc/<pid>/status (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return fields


def memory(pid: int) -> tuple[int, int]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in bytes."""
    fields = status(pid)
    return (
        int(fields["VmRSS"].split()[0]) * 1024,  # kB
        int(fields["VmHWM"].split()[0]) * 1024,
    )


def threads(pid: int) -> int:
    return int(status(pid)["Threads"])


# What both servers print once they listen. They pick a free port themselves:
# one chosen here could be taken by another process before they bind it.
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


class Process(services.Service):
    """A Python server started as a subprocess of this one, its output in a log."""

    stop_signal = signal.SIGTERM

    def __init__(self, path: str, env: Mapping[str, str] | None = None) -> None:
        self.port = 0  # known once it listens
        self.ready_path = path  # answered with any status below 500 once up
        self.env = dict(env or {})
        self.log = Path(tempfile.mkstemp(prefix="cookbook-stress-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not running"
        return self.process.pid

    def answers(self) -> bool:
        if not self.port:
            found = LISTENING.search(self.output())
            if found is None:
                return False
            self.port = int(found.group(1))
        answer = client.request(self.port, "GET", self.ready_path, timeout=5)
        return not answer.dropped and answer.status < 500

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                self.command(),
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=services._die_with_parent,
            )
        process = self.process
        try:
            services.wait_until(
                self.answers,
                timeout=60,
                what=" ".join(self.command()[1:4]),
                alive=lambda: process.poll() is None,
            )
        except services.ServiceUnavailable as error:
            self.stop()
            output = self.output()[-3000:]
            self.log.unlink(missing_ok=True)
            raise services.ServiceUnavailable(f"{error}; it said:\n{output}") from None
        except BaseException:
            self.stop()
            self.log.unlink(missing_ok=True)
            raise

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop()
        finally:
            self.log.unlink(missing_ok=True)


class GalleryServer(Process):
    """`python -m stress.serve`: the gallery on Werkzeug's threaded server.

    glibc's malloc raises its mmap threshold after large buffers are freed,
    and keeps later ones in per-thread arenas it seldom gives back: after
    thousands of requests with bodies of megabytes, RSS grows with what the
    allocator holds on to rather than with what the program keeps alive.
    A fixed threshold makes such buffers go back to the system when freed,
    so RSS follows the live data, which is what a leak would inflate.
    """

    def __init__(
        self, instance_root: Path | None = None, temporary: Path | None = None
    ) -> None:
        env = {"MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}
        if temporary is not None:
            env["TMPDIR"] = str(temporary)  # Python's temporary files go there
        super().__init__("/", env)
        self.instance_root = instance_root

    def command(self) -> list[str]:
        root = (
            ["--instance-root", str(self.instance_root)] if self.instance_root else []
        )
        return [sys.executable, "-m", "stress.serve", *root]


class ThreadedServer(Process):
    """Some examples, each at /<folder>, on Werkzeug's threaded server, as
    deployed (a secret, no debug)."""

    def __init__(self, folders: list[str], instance_root: Path, secret: str) -> None:
        super().__init__(f"/{folders[0]}/", {"FLASK_SECRET_KEY": secret})
        self.folders = folders
        self.instance_root = instance_root

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "stress.serve",
            "--examples", ",".join(self.folders),
            "--instance-root", str(self.instance_root),
        ]  # fmt: skip


class Gunicorn(Process):
    """gunicorn with several worker processes, serving some examples as deployed."""

    stop_signal = signal.SIGINT  # a quick shutdown: the checks wait for no request

    def __init__(
        self, folders: list[str], instance_root: Path, secret: str, workers: int = 3
    ) -> None:
        super().__init__(
            f"/{folders[0]}/",
            {
                "STRESS_EXAMPLES": ",".join(folders),
                "STRESS_INSTANCE_ROOT": str(instance_root),
                "FLASK_SECRET_KEY": secret,
            },
        )
        self.workers = workers

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn",
            "--bind", "127.0.0.1:0",
            "--workers", str(self.workers),
            "--graceful-timeout", "10",
            "stress.wsgi:application",
        ]  # fmt: skip
