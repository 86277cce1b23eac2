"""The registered users: one SQLite table, one connection per request."""

from __future__ import annotations

import sqlite3

from flask import current_app
from flask import Flask
from flask import g
from werkzeug.security import generate_password_hash

# COLLATE NOCASE: "Alice" and "alice" are the same username, here and in the
# form's check. UNIQUE settles two sign-ups racing for one name.
SCHEMA = """
CREATE TABLE IF NOT EXISTS user (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  email TEXT NOT NULL,
  password_hash TEXT NOT NULL
)
"""


class UsernameTaken(Exception):
    """Someone registered this username first."""


class Full(Exception):
    """USERS_MAX users are registered already."""


def get_db() -> sqlite3.Connection:
    """The connection for this app context, opened the first time it is needed."""
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
    db: sqlite3.Connection = g.db
    return db


def close_db(error: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def username_taken(username: str) -> bool:
    row = get_db().execute("SELECT 1 FROM user WHERE username = ?", (username,))
    return row.fetchone() is not None


def add_user(username: str, email: str, password: str) -> None:
    """Store a new user; only a salted hash of the password is kept."""
    db = get_db()
    password_hash = generate_password_hash(password)
    try:
        with db:  # one transaction: committed, or rolled back if it raises
            # One statement counts and inserts, under SQLite's write lock: sign-ups
            # racing in threads or worker processes cannot pass USERS_MAX.
            cursor = db.execute(
                "INSERT INTO user (username, email, password_hash)"
                " SELECT ?, ?, ? WHERE (SELECT count(*) FROM user) < ?",
                (username, email, password_hash, current_app.config["USERS_MAX"]),
            )
    except sqlite3.IntegrityError as error:
        raise UsernameTaken from error
    if cursor.rowcount == 0:
        raise Full


def count() -> int:
    total: int = get_db().execute("SELECT count(*) FROM user").fetchone()[0]
    return total


def usernames(limit: int, offset: int) -> list[str]:
    """One page of the usernames, newest first."""
    rows = get_db().execute(
        "SELECT username FROM user ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
    )
    return [row[0] for row in rows]


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    with app.app_context():
        get_db().execute(SCHEMA)
