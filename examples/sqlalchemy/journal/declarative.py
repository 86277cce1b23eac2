"""Way 2: plain SQLAlchemy, a declarative model and a scoped_session."""

from __future__ import annotations

from datetime import datetime

from flask import abort
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import scoped_session
from sqlalchemy.orm import sessionmaker

from .store import create_tables
from .store import DuplicateTitle
from .store import insert_if_room
from .store import JournalFull
from .store import lock_for_add
from .store import NO_SUCH_ENTRY
from .store import Page
from .store import TITLE_MAX
from .store import utcnow


class Base(DeclarativeBase):
    """The table and the class in one go: each Mapped attribute is a column."""


class Entry(Base):
    __tablename__ = "entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(default=utcnow)


class DeclarativeStore:
    def __init__(self, app: Flask) -> None:
        engine = create_engine(app.config["DATABASE_URL"])
        # A session per thread, so per request; remove_session() closes it.
        self.session = scoped_session(sessionmaker(engine))
        create_tables(Base.metadata, engine)
        app.teardown_appcontext(self.remove_session)

    def remove_session(self, exception: BaseException | None = None) -> None:
        self.session.remove()  # rolls back whatever was left open, frees the connection

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
        statement = delete(Entry).where(Entry.id == entry_id).returning(Entry.title)
        title = self.session.execute(statement).scalar_one_or_none()
        self.session.commit()
        return title

    def page(self, number: int, per_page: int) -> Page:
        total = self.session.scalar(select(func.count()).select_from(Entry))
        entries = self.session.scalars(
            select(Entry)
            .order_by(Entry.created.desc(), Entry.id.desc())
            .limit(per_page)
            .offset((number - 1) * per_page)
        ).all()
        return Page(entries, number, per_page, total or 0)

    def get_or_404(self, entry_id: int) -> Entry:
        entry = self.session.get(Entry, entry_id)
        if entry is None:
            abort(404, NO_SUCH_ENTRY.format(entry_id))
        return entry
