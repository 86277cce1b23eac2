"""What the views need from a database: one small interface, filled four ways."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import UTC
from typing import Any
from typing import Protocol

from flask import current_app
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import func
from sqlalchemy import Insert
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import MetaData
from sqlalchemy import select
from sqlalchemy import Table
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

TITLE_MAX = 200
BODY_MAX = 10_000
# Ids are INTEGER columns: 32 bits on PostgreSQL. A larger id in a URL names
# no entry, and the driver would refuse to send it (a 500).
MAX_ID = 2**31 - 1
NO_SUCH_ENTRY = "There is no entry {}. It may have been deleted."


def utcnow() -> datetime:
    """Now, in UTC without a time zone: SQLite stores none, so every way stores UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def create_tables(metadata: MetaData, engine: Engine) -> None:
    """Create the tables that are missing; the ones there are left as they are.

    create_all() first looks for each table, then creates it. Workers that
    start together on a new database (`gunicorn -w 3`) race between the two
    steps, and the loser fails with "table ... already exists". Looking again
    finds the table made.
    """
    try:
        metadata.create_all(engine)
    except DatabaseError:
        metadata.create_all(engine)


def insert_if_room(target: type[Any] | Table, **values: object) -> Insert:
    """INSERT INTO entry (...) SELECT the values WHERE (SELECT count(*) FROM
    entry) < ENTRIES_MAX: counted and added in one statement, so no other add
    comes in between (SQLite takes its write lock before it counts)."""
    room = (
        select(func.count()).select_from(target).scalar_subquery()
        < current_app.config["ENTRIES_MAX"]
    )
    row = select(*map(literal, values.values())).where(room)
    return insert(target).from_select(list(values), row)


def lock_for_add(connection: Connection) -> None:
    """On PostgreSQL, wait until the other adds under way have committed.

    Under its default isolation, READ COMMITTED, two INSERT ... SELECT count(*)
    at once each count without the other's new row, and both get in. This lock
    conflicts with itself and with writes, not with reads; commit releases it.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE entry IN SHARE ROW EXCLUSIVE MODE"))


class Entry(Protocol):
    """An entry as the views read it: a mapped object or a Core row."""

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def created(self) -> datetime: ...


class DuplicateTitle(Exception):
    """The database's unique constraint refused the title; nothing was stored."""


class JournalFull(Exception):
    """The journal holds ENTRIES_MAX entries already; nothing was stored."""


@dataclass(frozen=True)
class Page:
    """One page of entries, newest first."""

    items: Sequence[Entry]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


class EntryStore(Protocol):
    """The same methods, whichever way of using SQLAlchemy fills them."""

    def add(self, title: str, body: str) -> Entry:
        """Store an entry in one transaction; DuplicateTitle if the title is
        taken, JournalFull if there are ENTRIES_MAX entries already."""
        ...

    def delete(self, entry_id: int) -> str | None:
        """Delete the entry; its title, or None if there was no such entry."""
        ...

    def page(self, number: int, per_page: int) -> Page: ...
    def get_or_404(self, entry_id: int) -> Entry: ...


def current_store() -> EntryStore:
    """The store that create_app() chose with DB_STYLE."""
    store: EntryStore = current_app.extensions["journal"]
    return store
