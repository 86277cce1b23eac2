"""file_uploads: a 256 MiB upload through gunicorn, against reading it into memory.

The server's peak memory growth while the example's upload form takes a
256 MiB file (Werkzeug spools a large file part to a temporary file and the
view copies it to the upload folder), against a route that reads the same
number of bytes into memory with `request.get_data()` (bench/apps.py).
Each in a fresh gunicorn with one sync worker.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from . import base_env
from . import Gunicorn
from . import MIB
from . import mib
from . import peak_growth
from . import Row
from . import session_and_token

NAME = "file_uploads"
GROWTH_LIMIT = 16 * MIB
BOUNDARY = "bench-boundary-7d1f0c"
BLOCK = os.urandom(MIB)  # sent again and again: the client holds 1 MiB, not 256


def blocks(size: int) -> Iterator[bytes]:
    for _ in range(size // MIB):
        yield BLOCK


def multipart(token: str, size: int) -> tuple[Iterator[bytes], int]:
    """The upload form's body, made as it is sent: a CSRF field and one file."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{token}\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from blocks(size)
        yield tail

    return body(), len(head) + size + len(tail)


def post(
    port: int, path: str, body: Iterator[bytes], headers: dict[str, str]
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def upload(port: int, size: int) -> None:
    cookie, token = session_and_token(port, "/")
    body, length = multipart(token, size)
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(length),
        "Cookie": cookie,
    }
    status, text = post(port, "/", body, headers)
    if status != 303:
        raise RuntimeError(f"the upload answered {status}: {text[:300]!r}")


def read_all(port: int, size: int) -> None:
    cookie, token = session_and_token(port, "/")
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(size),
        "Cookie": cookie,
        "X-CSRFToken": token,
    }
    status, text = post(port, "/bench/read-all", blocks(size), headers)
    if status != 200 or json.loads(text) != {"bytes": size}:
        raise RuntimeError(f"read-all answered {status}: {text[:300]!r}")


def measure(send: str, size: int, folder: Path) -> tuple[int, float]:
    """Peak growth of a fresh worker taking one `size` body; and seconds."""
    env = base_env(
        FLASK_UPLOAD_FOLDER=str(folder),
        FLASK_MAX_CONTENT_LENGTH=str(size + MIB),
        BENCH_INSTANCE=str(folder.parent),
    )
    action = upload if send == "upload" else read_all
    with Gunicorn("bench.apps:file_uploads()", env=env) as server:
        action(server.port, MIB)  # a small one first: imports, first request
        (worker,) = server.worker_pids()
        start = time.perf_counter()
        growth = peak_growth(worker, lambda: action(server.port, size))
        return growth, time.perf_counter() - start


def run(quick: bool = False) -> list[Row]:
    size = (32 if quick else 256) * MIB
    work = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    try:
        folder = work / "uploads"
        folder.mkdir()
        streamed, s_seconds = measure("upload", size, folder)
        stored = sorted(p.stat().st_size for p in folder.iterdir())
        if stored != [MIB, size]:
            raise RuntimeError(f"the upload folder holds files of sizes {stored}")
        in_memory, m_seconds = measure("read_all", size, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    met = streamed <= GROWTH_LIMIT
    return [
        Row(
            NAME,
            f"server peak RSS growth, a {mib(size)} upload through the form "
            f"and gunicorn ({size / s_seconds / MIB:.0f} MiB/s)",
            f"reading the same size of body into memory "
            f"({size / m_seconds / MIB:.0f} MiB/s)",
            f"{mib(streamed)} against {mib(in_memory)} "
            f"(ratio {streamed / in_memory:.4f})",
            "at most 16 MiB",
            met,
            why_missed=(
                ""
                if met
                else "The upload grew the worker by more than 16 MiB: the file "
                "part was held in memory instead of spooled to a temporary file."
            ),
        )
    ]
