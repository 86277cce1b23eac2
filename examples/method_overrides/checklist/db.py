"""The checklist's SQLite database: one connection per request, closed at teardown."""

from __future__ import annotations

import sqlite3

from flask import current_app
from flask import Flask
from flask import g

# Safe to run on every start. The CHECKs repeat the views' validation, so a
# bug in the Python code cannot store a blank name or a `done` of 7.
SCHEMA = """
CREATE TABLE IF NOT EXISTS item (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100 AND trim(name) <> ''),
  done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1))
)
"""


def get_db() -> sqlite3.Connection:
    """The connection for this request, opened the first time it is needed."""
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"], timeout=10)
        g.db.row_factory = sqlite3.Row
    connection: sqlite3.Connection = g.db
    return connection


def close_db(error: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    """Close connections at teardown, and create the table if it is missing."""
    app.teardown_appcontext(close_db)
    with app.app_context():
        get_db().executescript(SCHEMA)
