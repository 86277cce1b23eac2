"""`python -m stress`: every reliability check, then one table of every figure.

    python -m stress                  the full form (`make stress`)
    python -m stress --short          the smaller form that `make test` runs
    python -m stress malformed ...    only these checks (see --list)
    python -m stress --seed 7         the malformed requests of an earlier run again

Exits non-zero when any figure misses its target.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import traceback
from collections.abc import Callable

from . import celery_worker
from . import chunked
from . import failed
from . import Figure
from . import malformed
from . import redis_outage
from . import sessions
from . import sqlite_writers
from . import static_scan
from . import table
from . import uploads

Check = Callable[[bool, int], list[Figure]]


def without_seed(run: Callable[[bool], list[Figure]]) -> Check:
    """For the checks that draw nothing at random."""
    return lambda short, seed: run(short)


# Quickest first: a broken basic shows before the long checks run.
CHECKS: dict[str, tuple[str, Check]] = {
    "static_scan": (static_scan.NAME, without_seed(static_scan.run)),
    "sessions": (sessions.NAME, without_seed(sessions.run)),
    "uploads": (uploads.NAME, without_seed(uploads.run)),
    "redis_outage": (redis_outage.NAME, without_seed(redis_outage.run)),
    "celery_worker": (celery_worker.NAME, without_seed(celery_worker.run)),
    "sqlite_writers": (sqlite_writers.NAME, without_seed(sqlite_writers.run)),
    "chunked": (chunked.NAME, without_seed(chunked.run)),
    "malformed": (malformed.NAME, malformed.run),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stress",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("checks", nargs="*", metavar="CHECK", help="default: all")
    parser.add_argument("--short", action="store_true", help="the smaller form")
    parser.add_argument("--seed", type=int, help="for the generated requests")
    parser.add_argument("--list", action="store_true", help="name the checks")
    args = parser.parse_args(argv)
    if args.list:
        for name, (title, _) in CHECKS.items():
            print(f"{name:16} {title}")
        return 0
    unknown = sorted(set(args.checks) - set(CHECKS))
    if unknown:
        parser.error(f"no such check: {', '.join(unknown)} (see --list)")
    # CI replays the same requests; elsewhere each run draws new ones.
    in_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    seed = args.seed
    if seed is None:
        seed = 0 if in_ci else random.SystemRandom().randrange(10**6)
    rows: list[tuple[str, Figure]] = []
    began = time.monotonic()
    for name in args.checks or list(CHECKS):
        title, check = CHECKS[name]
        started = time.monotonic()
        try:
            figures = check(args.short, seed)
        # A check that breaks is a figure missed, not the end of the run.
        except Exception as error:
            traceback.print_exc()
            figures = [failed("the check ran", f"{type(error).__name__}: {error}")]
        rows += [(title, figure) for figure in figures]
        print(f"  ({time.monotonic() - started:.0f} s)\n", flush=True)
    print(summary(rows))
    misses = [figure for _, figure in rows if not figure.ok]
    form = "short" if args.short else "full"
    print(
        f"\n{len(rows) - len(misses)} of {len(rows)} figures at their target "
        f"({form} form, seed {seed}, {time.monotonic() - began:.0f} s)"
    )
    return 1 if misses else 0


def summary(rows: list[tuple[str, Figure]]) -> str:
    """One table of every figure against its target."""
    return table(
        [
            (title, f.name, f.value, f.target, "ok" if f.ok else "MISSED")
            for title, f in rows
        ],
        ("check", "figure", "value", "target", ""),
    )


if __name__ == "__main__":
    sys.exit(main())
