"""The reading list: see the books on the shelf and add one."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from .db import get_db

bp = Blueprint("shelf", __name__)

# The same limits are CHECK constraints in schema.sql.
TITLE_MAX = 200
AUTHOR_MAX = 100


def read_form() -> tuple[dict[str, str], dict[str, str]]:
    """The submitted book, and a message for each field that is not valid."""
    book = {
        "title": request.form.get("title", "").strip(),
        "author": request.form.get("author", "").strip(),
    }
    errors: dict[str, str] = {}
    if not book["title"]:
        errors["title"] = "Give the book a title."
    elif len(book["title"]) > TITLE_MAX:
        errors["title"] = f"Keep the title to {TITLE_MAX} characters."
    if len(book["author"]) > AUTHOR_MAX:
        errors["author"] = f"Keep the author to {AUTHOR_MAX} characters."
    for field, value in book.items():
        if "\x00" in value:  # SQLite's length() would stop at it
            errors[field] = f"The {field} must not contain NUL characters."
    return book, errors


def render_shelf(
    book: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> ResponseReturnValue:
    books = get_db().execute("SELECT title, author FROM book ORDER BY id DESC")
    html = render_template(
        "index.html",
        books=books.fetchall(),
        book=book or {},
        errors=errors or {},
        title_max=TITLE_MAX,
        author_max=AUTHOR_MAX,
    )
    return (html, 400) if errors else html


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_shelf()


@bp.post("/")
def add() -> ResponseReturnValue:
    book, errors = read_form()
    if errors:
        return render_shelf(book, errors)
    db = get_db()
    with db:  # one transaction: the row is stored whole or not at all
        db.execute(
            "INSERT INTO book (title, author) VALUES (?, ?)",
            (book["title"], book["author"]),
        )
    flash(f"Added “{book['title']}” to the shelf.")
    return redirect(url_for("shelf.index"), 303)
