"""The entry table in SQLAlchemy Core: imperative.py maps a class onto it,
core.py creates it from here and then reads it back from the database."""

from __future__ import annotations

from sqlalchemy import Column
from sqlalchemy import DateTime
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text

from .store import TITLE_MAX
from .store import utcnow

metadata = MetaData()

entry_table = Table(
    "entry",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(TITLE_MAX), nullable=False, unique=True),
    Column("body", Text, nullable=False),
    Column("created", DateTime, nullable=False, default=utcnow),
)
