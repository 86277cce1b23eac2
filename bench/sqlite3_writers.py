"""sqlite3: 8 writers x 500 notes, through the threaded server and through gunicorn.

Each writer loads the new-note form once (its session and CSRF token), then
posts 500 notes one after another, as a browser would; the eight run at
once. Each server gets a fresh database. Afterwards every note must be in
the database, once, and no answer or log line may say 'database is locked'.
Rows per second of the two servers are shown side by side.

The database sits on tmpfs (/dev/shm) where there is one: without a disk's
fsync on each commit the writers come faster and fight harder for SQLite's
one write lock, which is what is tested, and the run takes seconds instead
of a minute. A deployment's rows per second depend on its disk.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import base_env
from . import FlaskRun
from . import Gunicorn
from . import Row
from . import ServerProcess
from . import session_and_token

NAME = "sqlite3"
WRITERS = 8
NOTES = 500
LOCKED = "database is locked"


def write(
    port: int, writer: int, notes: int, statuses: Counter[int], lock: threading.Lock
) -> None:
    cookie, token = session_and_token(port, "/new")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    seen: Counter[int] = Counter()
    deadline = time.monotonic() + 120
    try:
        for n in range(notes):
            body = urllib.parse.urlencode(
                {
                    "csrf_token": token,
                    "title": f"writer {writer} note {n}",
                    "body": "x" * 200,
                }
            )
            try:
                connection.request("POST", "/new", body=body, headers=headers)
                response = connection.getresponse()
                text = response.read()
                status = response.status
                if LOCKED.encode() in text:
                    status = -1
            except (OSError, http.client.HTTPException):
                connection.close()  # http.client reconnects on the next request
                status = 0
            seen[status] += 1
            if time.monotonic() > deadline:
                break
    finally:
        connection.close()
        with lock:
            statuses.update(seen)


@dataclass(frozen=True)
class Outcome:
    seconds: float
    stored: int  # expected notes found in the database
    lost: int  # expected notes not found
    twice: int  # notes stored more than once
    locked: int  # answers and log lines that say 'database is locked'
    statuses: dict[int, int]  # how many answers of each status (0: no answer)


def measure(server: ServerProcess, database: Path, notes: int) -> Outcome:
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    writers = [
        threading.Thread(target=write, args=(server.port, w, notes, statuses, lock))
        for w in range(WRITERS)
    ]
    start = time.perf_counter()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=180)
    seconds = time.perf_counter() - start
    with contextlib.closing(sqlite3.connect(database)) as db:
        titles = Counter(title for (title,) in db.execute("SELECT title FROM note"))
    expected = {f"writer {w} note {n}" for w in range(WRITERS) for n in range(notes)}
    return Outcome(
        seconds=seconds,
        stored=sum(titles[t] >= 1 for t in expected),
        lost=sum(titles[t] == 0 for t in expected),
        twice=sum(count > 1 for count in titles.values()),
        locked=statuses[-1] + server.log_text().count(LOCKED),
        statuses=dict(statuses),
    )


def run(quick: bool = False) -> list[Row]:
    notes = 50 if quick else NOTES
    workers = 2 * (os.cpu_count() or 1)
    shm = Path("/dev/shm")
    on_tmpfs = shm.is_dir() and os.access(shm, os.W_OK)
    folder = Path(
        tempfile.mkdtemp(prefix="bench-sqlite3-", dir=shm if on_tmpfs else None)
    )
    results: dict[str, Outcome] = {}
    try:
        servers: dict[str, Callable[[dict[str, str]], ServerProcess]] = {
            "the threaded server (`flask run`)": lambda env: FlaskRun(
                "bench.apps:sqlite3()", env=env
            ),
            f"gunicorn, {workers} sync workers": lambda env: Gunicorn(
                "bench.apps:sqlite3()", env=env, workers=workers, timeout=60
            ),
        }
        for n, (label, make) in enumerate(servers.items()):
            database = folder / f"notes-{n}.sqlite"
            env = base_env(
                FLASK_DATABASE=str(database),
                BENCH_INSTANCE=str(folder),
                # Room for every note sent: the cap is not what this measures.
                FLASK_NOTES_MAX=str(WRITERS * notes),
            )
            with make(env) as server:
                results[label] = measure(server, database, notes)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    total = WRITERS * notes
    rows = []
    for label, result in results.items():
        ok = (
            result.lost == 0
            and result.locked == 0
            and result.twice == 0
            and result.statuses == {303: total}
        )
        rate = total / result.seconds
        rows.append(
            Row(
                NAME,
                f"{WRITERS} writers x {notes} notes through {label}: "
                f"{rate:,.0f} rows/s{' (database on tmpfs)' if on_tmpfs else ''}; "
                f"answers {result.statuses}",
                f"{total:,} rows expected",
                f"{result.stored:,} stored, {result.lost} lost, "
                f"{result.locked} 'database is locked'",
                "0 lost, 0 'database is locked'",
                ok,
                why_missed=(
                    ""
                    if ok
                    else "Concurrent writers failed: check that each connection sets "
                    "a busy timeout and WAL (notes/db.py) and that every write is "
                    "one short transaction."
                ),
            )
        )
    return rows
