"""The data the pages stream: stand-ins for a large query and a slow service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import NamedTuple

# Some names need CSV quoting: the csv module handles commas and quotes.
ITEMS = ("Bolt", "Nut", "Washer", "Widget, large", 'Cable "Cat 6"')


def rows(count: int) -> Iterator[tuple[int, str, str]]:
    """`count` report rows, made one at a time: never all in memory."""
    for n in range(1, count + 1):
        yield n, ITEMS[n % len(ITEMS)], f"{n * 37 % 10_000 / 100:.2f}"


class Event(NamedTuple):
    number: int
    elapsed: float  # seconds since the first event was asked for


def events(count: int, delay: float) -> Iterator[Event]:
    """`count` events, `delay` seconds apart, as a slow service would send them."""
    start = time.monotonic()
    for n in range(1, count + 1):
        time.sleep(delay)
        yield Event(n, time.monotonic() - start)
