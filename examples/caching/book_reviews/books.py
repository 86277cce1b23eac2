"""The data the cache sits in front of: books and their reviews in SQLite.

Only the demo's storage. The caching is in views.py; the two functions it
caches, find_books() and summarise_ratings(), are the "slow" ones here.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from datetime import UTC
from typing import Any

from flask import current_app
from flask import Flask
from flask import g

SCHEMA = """
CREATE TABLE IF NOT EXISTS book (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  author TEXT NOT NULL,
  year INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS review (
  id INTEGER PRIMARY KEY,
  book_id INTEGER NOT NULL REFERENCES book (id),
  stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
  comment TEXT NOT NULL CHECK (length(comment) <= 2000)
);
"""
BOOKS = [
    (1, "Pride and Prejudice", "Jane Austen", 1813),
    (2, "Emma", "Jane Austen", 1815),
    (3, "Persuasion", "Jane Austen", 1817),
    (4, "Frankenstein", "Mary Shelley", 1818),
    (5, "Jane Eyre", "Charlotte Brontë", 1847),
    (6, "Moby-Dick", "Herman Melville", 1851),
    (7, "Great Expectations", "Charles Dickens", 1861),
    (8, "Middlemarch", "George Eliot", 1871),
    (9, "Dracula", "Bram Stoker", 1897),
]
SORTS = ("title", "year")


@dataclass(frozen=True)
class Summary:
    """What the book page shows of its ratings. Plain data: the cache pickles it."""

    count: int
    average: float | None
    stars: tuple[int, int, int, int, int]  # how many reviews gave 1, 2, ... 5 stars
    computed_at: str


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
    db: sqlite3.Connection = g.db
    return db


def close_db(error: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def find_books(text: str, sort: str) -> list[dict[str, Any]]:
    """Books whose title or author contains `text`, sorted by title or year."""
    # Escape LIKE's wildcards: a search for "100%" means the characters.
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = get_db().execute(
        "SELECT id, title, author, year FROM book"
        " WHERE title LIKE ?1 ESCAPE '\\' OR author LIKE ?1 ESCAPE '\\'"
        " ORDER BY CASE WHEN ?2 = 'year' THEN year END, title, year",
        (pattern + "%", sort),
    )
    return [dict(row) for row in rows]


def summarise_ratings(book_id: int) -> Summary:
    """Count, average and spread of a book's ratings: reads every review of it."""
    stars = [0] * 5
    for (rating,) in get_db().execute(
        "SELECT stars FROM review WHERE book_id = ?", (book_id,)
    ):
        stars[rating - 1] += 1
    count = sum(stars)
    total = sum(n * (i + 1) for i, n in enumerate(stars))
    return Summary(
        count=count,
        average=round(total / count, 1) if count else None,
        stars=(stars[0], stars[1], stars[2], stars[3], stars[4]),
        computed_at=datetime.now(UTC).strftime("%H:%M:%S UTC"),
    )


def get_book(book_id: int) -> dict[str, Any] | None:
    row = (
        get_db()
        .execute("SELECT id, title, author, year FROM book WHERE id = ?", (book_id,))
        .fetchone()
    )
    return dict(row) if row else None


def latest_reviews(book_id: int, limit: int = 5) -> list[dict[str, Any]]:
    rows = get_db().execute(
        "SELECT id, stars, comment FROM review WHERE book_id = ?"
        " ORDER BY id DESC LIMIT ?",
        (book_id, limit),
    )
    return [dict(row) for row in rows]


def reviews_by_id(review_ids: list[int]) -> list[dict[str, Any]]:
    rows = get_db().execute(
        "SELECT review.id, stars, comment, book_id, title FROM review"
        " JOIN book ON book.id = book_id"
        " WHERE review.id IN (SELECT value FROM json_each(?))"
        " ORDER BY review.id DESC",
        (json.dumps(review_ids),),
    )
    return [dict(row) for row in rows]


def add_review(book_id: int, stars: int, comment: str) -> int | None:
    """The new review's id, or None when REVIEWS_MAX are stored already."""
    db = get_db()
    with db:  # one transaction: committed here, or rolled back on error
        # One statement counts and inserts, under SQLite's write lock: racing
        # requests, in threads or worker processes, cannot overfill the table.
        cursor = db.execute(
            "INSERT INTO review (book_id, stars, comment)"
            " SELECT ?, ?, ? WHERE (SELECT count(*) FROM review) < ?",
            (book_id, stars, comment, current_app.config["REVIEWS_MAX"]),
        )
    return cursor.lastrowid if cursor.rowcount else None


def init_app(app: Flask) -> None:
    """Close the connection after each request; create and fill the tables."""
    app.teardown_appcontext(close_db)
    with app.app_context():
        db = get_db()
        with db:
            db.executescript(SCHEMA)
            db.executemany("INSERT OR IGNORE INTO book VALUES (?, ?, ?, ?)", BOOKS)
