"""Way 1: the Flask-SQLAlchemy extension, with SQLAlchemy 2's typed models."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

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
    """The models' base: columns typed with Mapped[...], checked by mypy."""


# One object for every app; init_app() gives each app its own engine, and
# the extension removes db.session when the app context ends.
db = SQLAlchemy(model_class=Base)


# db.Model is made at run time from Base: mypy cannot see it, the columns it can.
class Entry(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(default=utcnow)


class FlaskSQLAlchemyStore:
    def __init__(self, app: Flask) -> None:
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
        db.init_app(app)
        with app.app_context():
            create_tables(db.metadata, db.engine)

    def add(self, title: str, body: str) -> Entry:
        # An ORM INSERT ... RETURNING: the new row comes back as an Entry.
        statement = insert_if_room(Entry, title=title, body=body).returning(Entry)
        lock_for_add(db.session.connection())
        try:
            entry = db.session.scalars(statement).one_or_none()
            db.session.commit()
        except IntegrityError as error:  # UNIQUE title: all a valid form can break
            db.session.rollback()
            raise DuplicateTitle from error
        if entry is None:  # no room: nothing was inserted
            raise JournalFull
        return entry

    def delete(self, entry_id: int) -> str | None:
        statement = delete(Entry).where(Entry.id == entry_id).returning(Entry.title)
        title: str | None = db.session.execute(statement).scalar_one_or_none()
        db.session.commit()
        return title

    def page(self, number: int, per_page: int) -> Page:
        newest_first = select(Entry).order_by(Entry.created.desc(), Entry.id.desc())
        result = db.paginate(
            newest_first, page=number, per_page=per_page, error_out=False
        )
        return Page(result.items, number, per_page, result.total or 0)

    def get_or_404(self, entry_id: int) -> Entry:
        description = NO_SUCH_ENTRY.format(entry_id)
        entry: Entry = db.get_or_404(Entry, entry_id, description=description)
        return entry
