"""The users table in SQLite: one connection per request, closed at teardown.

A file, not memory: every worker process reads the same session versions,
and a restart forgets no logout.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import current_app
from flask import Flask
from flask import g

# Safe to run on every start: an existing table and its rows are kept.
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,  -- werkzeug's scrypt with a salt, never the password
  -- Written into the session at login, bumped at logout. Flask's signed cookie
  -- stays valid for whoever kept a copy; after the bump, copies no longer match.
  session_version INTEGER NOT NULL DEFAULT 0
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
    """Close connections at teardown; create the folder and table if missing."""
    app.teardown_appcontext(close_db)
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        get_db().executescript(SCHEMA)
