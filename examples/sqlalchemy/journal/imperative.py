"""Way 3: imperative mapping: a plain class, a Table, and map_imperatively()."""

from __future__ import annotations

from datetime import datetime

from flask import abort
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import registry
from sqlalchemy.orm import scoped_session
from sqlalchemy.orm import sessionmaker

from .store import create_tables
from .store import DuplicateTitle
from .store import insert_if_room
from .store import JournalFull
from .store import lock_for_add
from .store import NO_SUCH_ENTRY
from .store import Page
from .tables import entry_table
from .tables import metadata


class Entry:
    """A class that knows nothing of SQLAlchemy; the mapping gives it columns."""

    id: int
    title: str
    body: str
    created: datetime


mapper_registry = registry()
mapper_registry.map_imperatively(Entry, entry_table)

# Queries name the table's columns: the class's attributes are typed as plain
# values, which is what the rest of the app reads.
columns = entry_table.c


class ImperativeStore:
    def __init__(self, app: Flask) -> None:
        engine = create_engine(app.config["DATABASE_URL"])
        # As in the declarative way: one session per request, removed at teardown.
        self.session = scoped_session(sessionmaker(engine))
        create_tables(metadata, engine)
        app.teardown_appcontext(self.remove_session)

    def remove_session(self, exception: BaseException | None = None) -> None:
        self.session.remove()

    def add(self, title: str, body: str) -> Entry:
        # An ORM INSERT ... RETURNING: the new row comes back as an Entry.
        statement = insert_if_room(Entry, title=title, body=body).returning(Entry)
        lock_for_add(self.session.connection())
        try:
            entry = self.session.scalars(statement).one_or_none()
            self.session.commit()
        except IntegrityError as error:  # UNIQUE title: all a valid form can break
            self.session.rollback()
            raise DuplicateTitle from error
        if entry is None:  # no room: nothing was inserted
            raise JournalFull
        return entry

    def delete(self, entry_id: int) -> str | None:
        statement = delete(entry_table).where(columns.id == entry_id)
        title = self.session.execute(
            statement.returning(columns.title)
        ).scalar_one_or_none()
        self.session.commit()
        return title

    def page(self, number: int, per_page: int) -> Page:
        total = self.session.scalar(select(func.count()).select_from(entry_table))
        entries = self.session.scalars(
            select(Entry)
            .order_by(columns.created.desc(), columns.id.desc())
            .limit(per_page)
            .offset((number - 1) * per_page)
        ).all()
        return Page(entries, number, per_page, total or 0)

    def get_or_404(self, entry_id: int) -> Entry:
        entry = self.session.get(Entry, entry_id)
        if entry is None:
            abort(404, NO_SUCH_ENTRY.format(entry_id))
        return entry
