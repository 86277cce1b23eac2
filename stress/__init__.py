"""Reliability figures: how the cookbook holds up, each figure against its target.

`python -m stress` runs every check at full size (`make stress`) and ends with
one table; `python -m stress --short` runs the smaller form that
tests/test_reliability.py runs in `make test`. Every check finds the examples
it applies to (it holds no list), serves them on 127.0.0.1 only, bounds what
it sends in count and in time, and stops whatever it started.

This module holds what the checks share: the figure, the table, a private
instance folder for the apps a check builds, and the environment they see.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

MIB = 1024 * 1024


@dataclass(frozen=True)
class Figure:
    """One measured figure and the target it must meet."""

    name: str
    value: str
    target: str
    ok: bool


def at_most(name: str, value: int, limit: int = 0, unit: str = "") -> Figure:
    """A count that must stay at or under `limit` (0 by default)."""
    suffix = f" {unit}" if unit else ""
    return Figure(name, f"{value:,}{suffix}", f"{limit:,}{suffix}", value <= limit)


def at_least(name: str, value: int, minimum: int, unit: str = "") -> Figure:
    suffix = f" {unit}" if unit else ""
    return Figure(
        name, f"{value:,}{suffix}", f">= {minimum:,}{suffix}", value >= minimum
    )


def all_of(name: str, done: int, total: int) -> Figure:
    """`done` of `total` things, where every one of them must be done."""
    return Figure(name, f"{done:,} of {total:,}", "all", done == total and total > 0)


def failed(name: str, reason: str) -> Figure:
    """A check that could not run: a figure that misses its target, saying why."""
    return Figure(name, f"not measured: {reason}", "measured", False)


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A plain text table, columns as wide as their widest cell."""
    widths = [
        max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))
    ]
    lines = [
        "  ".join(
            str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
        )
        for row in [headers, tuple("-" * w for w in widths), *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def keep_data_in(root: Path) -> None:
    """Every Flask app built from now on keeps its data under `root`, in
    `<root>/<import name>`: two examples never share a folder."""
    Flask.auto_find_instance_path = (  # type: ignore[method-assign]
        lambda self: str(root / self.import_name)
    )


@contextlib.contextmanager
def instance_folders(root: Path) -> Iterator[Path]:
    """keep_data_in(root) for the apps built inside the block."""
    saved = Flask.auto_find_instance_path
    keep_data_in(root)
    try:
        yield root
    finally:
        Flask.auto_find_instance_path = saved  # type: ignore[method-assign]


@contextlib.contextmanager
def private_instance_folders() -> Iterator[Path]:
    """instance_folders() in a temporary folder, removed afterwards: a check
    never writes into the examples' own instance folders (or a developer's
    data)."""
    root = Path(tempfile.mkdtemp(prefix="cookbook-stress-"))
    try:
        with instance_folders(root):
            yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """The process environment without the developer's FLASK_* and REDIS_URL
    settings, plus `values`; restored afterwards."""
    saved = dict(os.environ)
    try:
        for name in list(os.environ):
            if name.startswith("FLASK_") or name == "REDIS_URL":
                del os.environ[name]
        os.environ.update(values)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def quiet_server_log() -> Iterator[None]:
    """Werkzeug's server logs a line per request: keep only its warnings and errors."""
    logger = logging.getLogger("werkzeug")
    saved = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(saved)


@contextlib.contextmanager
def quiet_example_logs(level: int = logging.ERROR) -> Iterator[None]:
    """The examples' own log lines below `level` unshown (mongomock's notice,
    each time an app is built); the checks print what they find."""
    logger = logging.getLogger("examples")
    saved = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(saved)
