"""caching: requests per second of the cached search page under load.

One gunicorn (a worker per core, two threads each, keep-alive) serves the
example with its default SimpleCache, plus two routes from bench/apps.py: a
bare `return "ok"` and the same search page with its cache bypassed. The
example's nine books make no search expensive, so the benchmark's database
holds a catalogue of CATALOGUE books more: a search reads them all, as a
search with a leading wildcard does, and finds Jane Austen's three.

A load client keeps two connections per core busy on one route at a time;
the routes take turns in short rounds. The figure is requests per second of
the workers' CPU time (what the server sustains with its cores to itself):
on a machine busy with other work, requests per wall-clock second swing by
a factor of two from one round to the next, and the CPU a request costs
does not. Requests per wall-clock second are shown beside it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from . import base_env
from . import cpu_seconds
from . import Gunicorn
from . import median
from . import Row
from .load import load

NAME = "caching"
TARGET = 0.8
CATALOGUE = 50_000
SEARCH = "q=austen&sort=year"
CACHED = f"/?{SEARCH}"  # one cache entry: the same page each time
ROUTES = {"ok": "/bench/ok", "cached": CACHED, "uncached": f"/bench/uncached?{SEARCH}"}


def fill_catalogue(database: Path) -> None:
    """The example's books and CATALOGUE more, in the example's own schema."""
    from book_reviews import books

    more = [
        (n, f"Collected Letters, volume {n}", "Anonymous", 1700 + n % 300)
        for n in range(1000, 1000 + CATALOGUE)
    ]
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.executescript(books.SCHEMA)
        db.executemany("INSERT INTO book VALUES (?, ?, ?, ?)", [*books.BOOKS, *more])


def run(quick: bool = False) -> list[Row]:
    cores = os.cpu_count() or 1
    connections = 2 * cores
    rounds, seconds = (2, 0.5) if quick else (6, 0.6)
    requests = dict.fromkeys(ROUTES, 0)
    cpu = dict.fromkeys(ROUTES, 0.0)
    wall_rates: dict[str, list[float]] = {name: [] for name in ROUTES}
    failures = 0
    folder = Path(tempfile.mkdtemp(prefix="bench-caching-"))
    try:
        database = folder / "book_reviews.sqlite"
        fill_catalogue(database)
        env = base_env(FLASK_DATABASE=str(database), BENCH_INSTANCE=str(folder))
        with Gunicorn(
            "bench.apps:caching()",
            env=env,
            workers=cores,
            worker_class="gthread",
            threads=2,
            timeout=60,
        ) as server:
            workers = server.worker_pids()
            for path in ROUTES.values():  # warm up: every worker fills its cache
                load(server.port, path, connections=connections, seconds=0.5)
            for _ in range(rounds):
                for name, path in ROUTES.items():
                    before = cpu_seconds(workers)
                    result = load(
                        server.port, path, connections=connections, seconds=seconds
                    )
                    cpu[name] += cpu_seconds(workers) - before
                    requests[name] += result.requests
                    failures += result.failures
                    wall_rates[name].append(result.per_second)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if failures:
        raise RuntimeError(f"{failures} requests failed under load")

    def per_cpu_second(name: str) -> float:
        return requests[name] / cpu[name]

    def wall(name: str) -> str:
        return f"{median(wall_rates[name]):,.0f}/s wall clock"

    ok = per_cpu_second("ok")
    cached = per_cpu_second("cached") / ok
    uncached = per_cpu_second("uncached") / ok
    met = cached >= TARGET
    setup = (
        f"gunicorn, {cores} gthread workers x 2 threads, {connections} "
        f"keep-alive connections, {rounds} rounds of {seconds:.1f} s per route"
    )
    return [
        Row(
            NAME,
            f"requests/s of the cached search page `{CACHED}` (SimpleCache, "
            f"{CATALOGUE:,} books): {per_cpu_second('cached'):,.0f} per "
            f"worker CPU second, {wall('cached')}; {setup}",
            f'a bare `return "ok"` route on the same server: {ok:,.0f} per '
            f"worker CPU second, {wall('ok')}",
            f"{cached:.2f}",
            f"at least {TARGET}",
            met,
            why_missed=(
                ""
                if met
                else "A cache hit costs more than a bare view: Flask-Caching "
                "inspects the view's signature and builds and hashes the key from "
                "the search arguments on every request, then unpickles the page."
            ),
        ),
        Row(
            NAME,
            f"the same page with its cache bypassed: {per_cpu_second('uncached'):,.0f} "
            f"per worker CPU second, {wall('uncached')}",
            "the bare route",
            f"{uncached:.3f}",
            "contrast, no target",
            None,
        ),
    ]
