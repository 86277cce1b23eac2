"""One SQLite connection per app context: opened on first use, closed at teardown."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import Literal
from typing import overload

import click
from flask import current_app
from flask import Flask
from flask import g
from flask.cli import with_appcontext

# How long a connection waits for another writer's lock before it gives up
# with "database is locked". Python's default is 5 s; say it out loud.
BUSY_TIMEOUT_SECONDS = 10.0


def get_db() -> sqlite3.Connection:
    """The connection for this app context, opened the first time it is needed."""
    if "db" not in g:
        db = sqlite3.connect(
            current_app.config["DATABASE"], timeout=BUSY_TIMEOUT_SECONDS
        )
        db.row_factory = sqlite3.Row  # rows can be read as row["title"]
        # WAL lets readers carry on while one connection writes; the timeout
        # above makes a second writer wait for the lock instead of failing.
        db.execute("PRAGMA journal_mode=WAL")
        # SQLite ignores REFERENCES clauses unless each connection asks.
        db.execute("PRAGMA foreign_keys=ON")
        g.db = db
    connection: sqlite3.Connection = g.db
    return connection


def close_db(error: BaseException | None = None) -> None:
    """Close the connection, if this context opened one. Runs even after errors."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


Params = Sequence[Any] | Mapping[str, Any]


@overload
def query_db(
    query: str, args: Params = (), one: Literal[False] = False
) -> list[sqlite3.Row]: ...
@overload
def query_db(
    query: str, args: Params = (), *, one: Literal[True]
) -> sqlite3.Row | None: ...
def query_db(query: str, args: Params = (), one: bool = False) -> Any:
    """Run a query and fetch its rows, or only the first row (or None) with one=True.

    Values always go in `args`, bound to the `?` placeholders by SQLite; never
    format them into `query`, or a title like `'); DROP TABLE note; --` is SQL.
    """
    cursor = get_db().execute(query, args)
    rows = cursor.fetchall()
    cursor.close()
    return (rows[0] if rows else None) if one else rows


def create_tables() -> None:
    """Create whatever tables are missing; rows already stored are kept."""
    with current_app.open_resource("schema.sql", "r", encoding="utf-8") as f:
        schema: str = f.read()
    get_db().executescript(schema)


def init_db() -> None:
    """Drop every table and create them again, empty."""
    get_db().execute("DROP TABLE IF EXISTS note")
    create_tables()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Delete all notes and recreate the tables."""
    init_db()
    click.echo(
        f"Wiped the database and recreated its tables: {current_app.config['DATABASE']}"
    )


def init_app(app: Flask) -> None:
    """Register the teardown and the command, and make sure the tables exist.

    Creating the tables here (idempotently) means a fresh clone runs with no
    init step; `flask init-db` is only needed to start again from empty.
    """
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
    with app.app_context():
        create_tables()
