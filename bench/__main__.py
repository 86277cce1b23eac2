"""`python -m bench`: run the benchmarks, print one table, write bench/RESULTS.md.

python -m bench                      every benchmark; writes bench/RESULTS.md
python -m bench streaming caching    only these (printed, RESULTS.md untouched)
python -m bench --quick              smaller sizes, a smoke run (printed only)
python -m bench --list               the names
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from . import Row

# Benchmark name -> module, in the order of the table.
BENCHMARKS = {
    "streaming": "bench.streaming",
    "file_uploads": "bench.file_uploads",
    "request_checksum": "bench.request_checksum",
    "caching": "bench.caching",
    "lazy_loading": "bench.lazy_loading",
    "celery": "bench.celery_latency",
    "sqlite3": "bench.sqlite3_writers",
    "gallery": "bench.gallery",
    "test suite": "bench.test_suite",
}
RESULTS = Path(__file__).with_name("RESULTS.md")
DID_NOT_RUN = "did not run"
COLUMNS = ("benchmark", "measured", "against", "figure", "target", "met")


def met_cell(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "—"}[met]


def table(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + " --- |" * len(COLUMNS),
    ]
    for row in rows:
        cells = (row.benchmark, row.measured, row.against or "—", row.figure,
                 row.target, met_cell(row.met))  # fmt: skip
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024**2:.0f} GiB RAM"
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; "
        f"{platform.system()} {platform.release()} ({platform.machine()})"
    )


def report(rows: list[Row], seconds: float) -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    python = f"{platform.python_implementation()} {platform.python_version()}"
    missed = [row for row in rows if row.met is False and row.why_missed]
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`). Every figure is a ratio "
        "of two things measured in the same run, side by side.",
        "",
        f"- Date: {now}",
        f"- Python: {python}",
        f"- Machine: {machine()}",
        f"- Whole run: {seconds:.0f} s",
        "",
        table(rows),
    ]
    if missed:
        parts += ["", "## Targets missed", ""]
        for row in missed:
            parts += [f"**{row.benchmark}**: {row.why_missed}", ""]
    for row in rows:
        if row.details:
            parts += ["", row.details.rstrip(), ""]
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run")
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--list", action="store_true", help="list the benchmarks")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed too"
    )
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(BENCHMARKS))
        return 0
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: see --list")
    names = [name for name in BENCHMARKS if name in args.names] or list(BENCHMARKS)
    full_run = not args.names and not args.quick

    rows: list[Row] = []
    started = time.perf_counter()
    for name in names:
        print(f"* {name} ...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        try:
            module = importlib.import_module(BENCHMARKS[name])
            rows += module.run(quick=args.quick)
        except Exception as error:  # one broken benchmark must not hide the rest
            traceback.print_exc()
            why = f"The benchmark failed: {error!r}."
            rows.append(Row(name, DID_NOT_RUN, "", f"error: {error}", "", False, why))
        print(f"  {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started

    text = report(rows, seconds)
    print(text)
    if full_run:
        RESULTS.write_text(text, encoding="utf-8")
        print(f"Written to {RESULTS}", file=sys.stderr)
    # A benchmark that did not run is a failure; a missed target is one only
    # with --strict (the table and RESULTS.md say why it is missed).
    failed = any(row.measured == DID_NOT_RUN for row in rows)
    missed = any(row.met is False for row in rows)
    return 1 if failed or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
