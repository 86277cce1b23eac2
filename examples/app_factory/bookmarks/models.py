"""The database extension and the one model.

`db` is created here without an app, at import time, so views can import it
freely; `create_app` binds it to each app with `db.init_app(app)`.
"""

from __future__ import annotations

from datetime import datetime
from datetime import UTC

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

URL_MAX = 2000
TITLE_MAX = 200


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


# db.Model is made at runtime from Base, so mypy cannot see it as a class.
class Bookmark(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    created: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC))


def create_tables() -> None:
    """Create the tables that are missing, in the current app's database.

    create_all() first looks for each table, then creates it. Workers that
    start together on a new database (`gunicorn -w 3`) race between the two
    steps, and the loser fails with "table ... already exists". Looking again
    finds the table made.
    """
    try:
        db.create_all()
    except DatabaseError:
        db.create_all()
