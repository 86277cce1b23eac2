"""streaming: a 1 GiB CSV through gunicorn, streamed against joined.

The server's peak memory growth while one client downloads the report from
the example's streamed view, against the growth while it downloads the same
rows joined into one body (a route added in bench/apps.py). Each download
runs in a gunicorn of its own with one sync worker, the two at the same
time (memory, not speed, is measured, and the CSV takes a core a minute to
make); both must bring the same bytes (their SHA-256 is compared).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import threading
import time

from . import base_env
from . import GIB
from . import Gunicorn
from . import MIB
from . import mib
from . import peak_growth
from . import Row
from . import scratch

NAME = "streaming"
# The example's rows average 25.6 bytes once ids reach 8 digits.
BYTES_PER_ROW = 25.6
GROWTH_LIMIT = 16 * MIB
DOWNLOAD_SECONDS = 240  # a bound on each download, not a target


def download(port: int, path: str) -> tuple[int, str]:
    """GET `path` to the end; its size and SHA-256. Read 1 MiB at a time."""
    # The joined body sends its first byte only once all of it is made.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=DOWNLOAD_SECONDS)
    deadline = time.monotonic() + DOWNLOAD_SECONDS
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {response.read(500)!r}")
        digest = hashlib.sha256()
        size = 0
        while chunk := response.read(MIB):
            digest.update(chunk)
            size += len(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError(f"GET {path} took over {DOWNLOAD_SECONDS} s")
        return size, digest.hexdigest()
    finally:
        connection.close()


class Measurement(threading.Thread):
    """One download in a server of its own, in a thread: the worker's peak
    growth, and the download's size, digest and seconds."""

    def __init__(self, server: Gunicorn, path: str, rows: int) -> None:
        super().__init__()
        self.server = server
        self.path = path
        self.rows = rows
        self.error: BaseException | None = None
        self.growth = self.size = 0
        self.digest = ""
        self.seconds = 0.0

    def run(self) -> None:
        try:
            (worker,) = self.server.worker_pids()
            result: list[tuple[int, str]] = []
            start = time.perf_counter()
            self.growth = peak_growth(
                worker,
                lambda: result.append(
                    download(self.server.port, f"{self.path}?rows={self.rows}")
                ),
            )
            self.seconds = time.perf_counter() - start
            self.size, self.digest = result[0]
        except BaseException as error:  # reported by run() below
            self.error = error


def run(quick: bool = False) -> list[Row]:
    size = 64 * MIB if quick else GIB
    rows = round(size / BYTES_PER_ROW)
    paths = {"streamed": "/report.csv", "joined": "/bench/joined.csv"}
    measurements: dict[str, Measurement] = {}
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(scratch("streaming"))
        for name, path in paths.items():
            env = base_env(BENCH_MAX_ROWS=str(rows), BENCH_INSTANCE=str(folder))
            server = stack.enter_context(Gunicorn("bench.apps:streaming()", env=env))
            # One small download first: imports and first-request set-up are
            # done before the baseline is taken.
            download(server.port, f"{path}?rows=10000")
            measurements[name] = Measurement(server, path, rows)
        for measurement in measurements.values():
            measurement.start()
        for measurement in measurements.values():
            measurement.join(timeout=DOWNLOAD_SECONDS + 30)
    for measurement in measurements.values():
        if measurement.error is not None:
            raise measurement.error
        if measurement.is_alive():
            raise TimeoutError(f"{measurement.path} did not finish")
    s, j = measurements["streamed"], measurements["joined"]
    if (s.size, s.digest) != (j.size, j.digest):
        raise RuntimeError("the streamed and the joined CSV differ")
    streamed, joined, s_size = s.growth, j.growth, s.size
    s_seconds, j_seconds, j_size = s.seconds, j.seconds, j.size
    met = streamed <= GROWTH_LIMIT and joined >= 0.9 * s_size
    return [
        Row(
            NAME,
            f"server peak RSS growth, {s_size / GIB:.2f} GiB CSV ({rows:,} rows) "
            f"streamed through gunicorn ({s_size / s_seconds / MIB:.0f} MiB/s)",
            f"the same rows joined into one body "
            f"({j_size / j_seconds / MIB:.0f} MiB/s)",
            f"{mib(streamed)} against {mib(joined)} (ratio {streamed / joined:.4f})",
            "at most 16 MiB, against about 1 GiB",
            met,
            why_missed=(
                ""
                if met
                else "The streamed download grew the worker by more than 16 MiB: "
                "something between the generator and the socket keeps what "
                "was sent. Check that the view returns a generator and that "
                "no middleware or after_request handler reads the body."
            ),
        )
    ]
