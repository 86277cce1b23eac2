"""The ledger's SQLite database: one connection per request, closed at teardown."""

from __future__ import annotations

import sqlite3

from flask import current_app
from flask import Flask
from flask import g

# Safe to run on every start. Amounts are stored as decimal text ("19.99"):
# a REAL column would turn them into binary floats.
SCHEMA = """
CREATE TABLE IF NOT EXISTS expense (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  amount TEXT NOT NULL,
  category TEXT NOT NULL,
  spent_on TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 200),
  created_at TEXT NOT NULL
)
"""


def get_db() -> sqlite3.Connection:
    """The connection for this request, opened the first time it is needed."""
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
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
