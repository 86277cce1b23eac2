"""The SQLite database in the instance folder, and the `init-db` command."""

from __future__ import annotations

import sqlite3

import click
from flask import current_app
from flask import Flask
from flask import g
from flask.cli import with_appcontext


def get_db() -> sqlite3.Connection:
    """The connection for this app context, opened the first time it is needed."""
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"], timeout=10.0)
        g.db.row_factory = sqlite3.Row
    connection: sqlite3.Connection = g.db
    return connection


def close_db(error: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def create_tables() -> None:
    """Apply schema.sql, package data that travels in the wheel."""
    with current_app.open_resource("schema.sql", "r", encoding="utf-8") as f:
        schema: str = f.read()
    get_db().executescript(schema)


def init_db() -> None:
    """Drop the table and create it again, empty."""
    get_db().execute("DROP TABLE IF EXISTS book")
    create_tables()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Delete every book and recreate the table."""
    init_db()
    click.echo(f"Initialised the database: {current_app.config['DATABASE']}")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
    with app.app_context():
        create_tables()
