"""test suite: how long the suite takes, as a contributor and a user run it.

- `make pytest` in the repository (`make test` without lint and mypy):
  pytest-xdist with a worker per core and one more (at most 8), no coverage
  (that is `make coverage`), timed from start to exit, with where the time
  went, area by area (pytest's own durations, summed over the workers). Timed
  as on a fresh clone: the project's own bytecode caches are removed first.
  Before and after it, how long a busy loop takes alone and one per core at
  once: the host's load moves the wall time, so read the row with them.
- Each example's own tests, run in its folder as a user who copied it runs
  them (`pytest` there, one process).

Each must pass: a failing suite's time means nothing. Skipped with --quick,
as it takes minutes.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cookbook import catalogue

from . import ROOT
from . import Row

NAME = "test suite"
TARGET = 90.0  # seconds of `make pytest`, on two cores (the goal beyond: 60)
EXAMPLE_MEDIAN = 5.0  # seconds, over the examples that need no browser or database
EXAMPLE_MAX = 30.0  # seconds, for any example
DATABASE_SERVERS = {"postgresql"}
TIMEOUT = 1800
# Where the time went before issue 29, per area: the seconds pytest's
# --durations summed for it (setup, call and teardown), in `make pytest` of
# main at 8c28eff (2026-12-03, this machine, CI=true): 368 s of wall time,
# 618 s of test time.
BEFORE = {
    "page quality (tests/test_quality.py)": 104.3,
    "catalogue (tests/test_catalogue.py)": 95.7,
    "reliability (tests/test_reliability.py)": 63.9,
    "gallery (tests/test_gallery.py)": 48.6,
    "sqlalchemy": 92.6,
    "celery": 47.7,
    "fabric": 43.4,
    "distribute": 20.5,
    "single_page_app": 17.7,
    "wtforms": 13.7,
    "caching": 13.1,
    "jquery": 12.4,
    "the other 13 examples": 44.2,
    "repository (tests/test_repository.py)": 0.1,
}
BEFORE_WALL = 368.0


def area_of(test_file: str) -> str:
    if test_file.startswith("tests/"):
        name = Path(test_file).stem.removeprefix("test_")
        kind = {"quality": "page quality"}.get(name, name)
        return f"{kind} ({test_file})"
    folder = test_file.split("/")[1]
    return folder if folder in BEFORE else "the other 13 examples"


def durations(output: str) -> dict[str, float]:
    """Seconds per area, from pytest's `--durations=0` lines."""
    areas: dict[str, float] = collections.defaultdict(float)
    for seconds, test in re.findall(
        r"^([\d.]+)s (?:call|setup|teardown)\s+(\S+)", output, re.MULTILINE
    ):
        areas[area_of(test.split("::")[0])] += float(seconds)
    return dict(areas)


def breakdown(after: dict[str, float], wall: float) -> str:
    lines = [
        "## Where the suite's time goes",
        "",
        "Test seconds per area (setup, call and teardown, summed over all "
        "xdist workers), before issue 29 and in this run.",
        "",
        "| area | before | now |",
        "| --- | ---: | ---: |",
    ]
    for area in sorted(
        set(BEFORE) | set(after), key=lambda a: -BEFORE.get(a, after.get(a, 0.0))
    ):
        then = f"{BEFORE[area]:.1f} s" if area in BEFORE else "—"
        lines.append(f"| {area} | {then} | {after.get(area, 0.0):.1f} s |")
    total_before, total_after = sum(BEFORE.values()), sum(after.values())
    lines.append(f"| **all tests** | {total_before:.0f} s | {total_after:.0f} s |")
    lines.append(f"| **wall time** | {BEFORE_WALL:.0f} s | {wall:.0f} s |")
    return "\n".join(lines)


def forget_bytecode() -> None:
    """A fresh clone has no compiled bytecode of the project's own modules, and
    pytest's rewritten test modules are bytecode too: time the run without."""
    for cache in ROOT.glob("[!.]*/**/__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


# Pure-Python work that needs only a core: how fast the machine is right now.
BUSY_LOOP = "total = 0\nfor n in range(8_000_000):\n    total += n * n % 7"


def machine_speed(cores: int) -> str:
    """Seconds a busy loop takes alone and with one per core at once (medians
    of 5 alternating runs). A virtual machine's cores are its host's: when the
    host is busy, both grow, and so does the suite's wall time, with nothing
    changed in it. Read the suite's time beside these."""

    def timed(processes: int) -> float:
        start = time.perf_counter()
        running = [
            subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
            for _ in range(processes)
        ]
        for process in running:
            process.wait()
        return time.perf_counter() - start

    pairs = [(timed(1), timed(cores)) for _ in range(5)]
    alone = statistics.median(one for one, _ in pairs)
    together = statistics.median(every for _, every in pairs)
    return f"{alone:.2f} s alone, {together:.2f} s {cores} at once"


def suite() -> Row:
    env = {**os.environ, "PYTEST_ADDOPTS": "-p no:cacheprovider --durations=0"}
    cores = os.cpu_count() or 1
    before = machine_speed(cores)
    forget_bytecode()
    start = time.perf_counter()
    result = subprocess.run(
        ["make", "--no-print-directory", "pytest"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    seconds = time.perf_counter() - start
    after = machine_speed(cores)
    if result.returncode != 0:
        raise RuntimeError(f"make pytest failed:\n{result.stdout[-3000:]}")
    summary = re.findall(r"=+ (\d[\d,]* passed.*?) in [\d.]+s", result.stdout)
    met = seconds <= TARGET
    return Row(
        NAME,
        f"wall time of `make pytest` (`make test` without lint and mypy), "
        f"{cores} cores: {summary[-1] if summary else 'passed'}; a busy loop"
        f" took {before} before the run, {after} after it",
        f"before issue 29: {BEFORE_WALL:.0f} s",
        f"{seconds:.0f} s",
        f"at most {TARGET:.0f} s on 2 cores",
        met,
        ""
        if met
        else "See where the suite's time goes, below, and read the time beside the"
        " busy loop's in the row: a virtual machine's host moves both.",
        details=breakdown(durations(result.stdout), seconds),
    )


def needs_browser_or_database(example: catalogue.Example) -> bool:
    tests = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (example.path / "tests").glob("*.py")
    )
    return "mark.browser" in tests or bool(DATABASE_SERVERS & set(example.services))


def per_example() -> list[Row]:
    """Each example's own tests in its folder, one process, as CI runs them."""
    seconds: dict[str, float] = {}
    for example in catalogue.discover():
        start = time.perf_counter()
        result = subprocess.run(
            [Path(sys.executable).parent / "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=example.path,
            env={**os.environ, "CI": "true"},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        seconds[example.folder] = time.perf_counter() - start
        if result.returncode != 0:
            raise RuntimeError(f"{example.folder}: {result.stdout[-2000:]}")
    plain = [
        seconds[e.folder]
        for e in catalogue.discover()
        if not needs_browser_or_database(e)
    ]
    slowest = max(seconds, key=seconds.__getitem__)
    middle = statistics.median(plain)
    return [
        Row(
            NAME,
            f"one example's own tests in its folder (`pytest`, one process): "
            f"median of the {len(plain)} that need no browser or database server",
            "",
            f"{middle:.1f} s",
            f"at most {EXAMPLE_MEDIAN:.0f} s",
            middle <= EXAMPLE_MEDIAN,
            "" if middle <= EXAMPLE_MEDIAN else "See the times per example below.",
        ),
        Row(
            NAME,
            f"the same, the slowest of all {len(seconds)}: {slowest}",
            "",
            f"{seconds[slowest]:.1f} s",
            f"at most {EXAMPLE_MAX:.0f} s",
            seconds[slowest] <= EXAMPLE_MAX,
            "" if seconds[slowest] <= EXAMPLE_MAX else "See the times below.",
            details="\n".join(
                [
                    "## Each example's own tests, in its folder",
                    "",
                    "| example | seconds |",
                    "| --- | ---: |",
                    *(f"| {f} | {s:.1f} |" for f, s in sorted(seconds.items())),
                ]
            ),
        ),
    ]


def run(quick: bool = False) -> list[Row]:
    if quick:
        target = f"at most {TARGET:.0f} s"
        return [Row(NAME, "not run with --quick", "", "—", target, None)]
    return [suite(), *per_example()]
