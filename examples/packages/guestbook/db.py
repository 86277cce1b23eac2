"""Storage: one SQLite connection per request, the file in the instance folder."""

from __future__ import annotations

import sqlite3

from flask import current_app
from flask import Flask
from flask import g

SCHEMA = """
CREATE TABLE IF NOT EXISTS entry (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    message TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (datetime('now'))
)
"""


def get_db() -> sqlite3.Connection:
    """The connection for this app context, opened the first time it is needed."""
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"], timeout=10)
        g.db.row_factory = sqlite3.Row
    connection: sqlite3.Connection = g.db
    return connection


def close_db(error: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def add_entry(name: str, message: str, limit: int) -> bool:
    """Store the entry if fewer than `limit` are stored; whether it was stored."""
    db = get_db()
    with db:  # one transaction: committed, or rolled back on an error
        # One statement counts and inserts. SQLite lets in one writer at a time
        # and the count runs once it is in, so requests in other threads or
        # worker processes cannot all take the last place.
        cursor = db.execute(
            "INSERT INTO entry (name, message)"
            " SELECT ?, ? WHERE (SELECT count(*) FROM entry) < ?",
            (name, message, limit),
        )
    return cursor.rowcount == 1


def count_entries() -> int:
    count: int = get_db().execute("SELECT count(*) FROM entry").fetchone()[0]
    return count


def latest_entries(limit: int = 50, offset: int = 0) -> list[dict[str, str | int]]:
    """The newest entries first, from the `offset`-th; never more than `limit`."""
    rows = get_db().execute(
        "SELECT id, name, message, created FROM entry"
        " ORDER BY id DESC LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [dict(row) for row in rows]


def init_app(app: Flask) -> None:
    """Close connections at teardown; create the table if it is missing."""
    app.teardown_appcontext(close_db)
    with app.app_context():
        get_db().executescript(SCHEMA)
