"""Way 4: no ORM: SQL expressions on a table reflected from the database."""

from __future__ import annotations

from flask import abort
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import MetaData
from sqlalchemy import select
from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError

from . import tables
from .store import create_tables
from .store import DuplicateTitle
from .store import Entry
from .store import insert_if_room
from .store import JournalFull
from .store import lock_for_add
from .store import NO_SUCH_ENTRY
from .store import Page
from .store import utcnow


class CoreStore:
    def __init__(self, app: Flask) -> None:
        self.engine = create_engine(app.config["DATABASE_URL"])
        # A table must exist to be reflected. In a real project migrations
        # create it; here tables.py stands in for them.
        create_tables(tables.metadata, self.engine)
        # Reflection: the columns, their types and the unique constraint are
        # read from the database itself, not declared in this file.
        self.entry = Table("entry", MetaData(), autoload_with=self.engine)

    def add(self, title: str, body: str) -> Entry:
        # A reflected table knows only what the database knows: no Python-side
        # default for `created`, so the insert sets it.
        statement = insert_if_room(self.entry, title=title, body=body, created=utcnow())
        try:
            # begin(): commits at the end of the block, rolls back if it raises.
            with self.engine.begin() as connection:
                lock_for_add(connection)
                row = connection.execute(statement.returning(self.entry)).one_or_none()
        except IntegrityError as error:  # UNIQUE title: all a valid form can break
            raise DuplicateTitle from error
        if row is None:  # no room: nothing was inserted
            raise JournalFull
        return row

    def delete(self, entry_id: int) -> str | None:
        statement = delete(self.entry).where(self.entry.c.id == entry_id)
        with self.engine.begin() as connection:
            title: str | None = connection.execute(
                statement.returning(self.entry.c.title)
            ).scalar_one_or_none()
        return title

    def page(self, number: int, per_page: int) -> Page:
        columns = self.entry.c
        # connect(): one connection for the block, back to the pool at its end.
        with self.engine.connect() as connection:
            total = connection.scalar(select(func.count()).select_from(self.entry))
            rows = connection.execute(
                select(self.entry)
                .order_by(columns.created.desc(), columns.id.desc())
                .limit(per_page)
                .offset((number - 1) * per_page)
            ).all()
        return Page(rows, number, per_page, total or 0)

    def get_or_404(self, entry_id: int) -> Entry:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(self.entry).where(self.entry.c.id == entry_id)
            ).one_or_none()
        if row is None:
            abort(404, NO_SUCH_ENTRY.format(entry_id))
        return row
