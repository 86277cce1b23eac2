"""The reading list: see the books on the shelf and add one."""

from __future__ import annotations

from flask import abort
from flask import Blueprint
from flask import current_app
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
    page: int = 1,
    book: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 400,
) -> ResponseReturnValue:
    """A page of the shelf, newest first, and the form: empty, or as posted
    with its errors and their status. A 404 for a page the shelf does not fill."""
    per_page: int = current_app.config["BOOKS_PER_PAGE"]
    db = get_db()
    (count,) = db.execute("SELECT count(*) FROM book").fetchone()
    pages = max(1, -(-count // per_page))  # an empty shelf is one empty page
    if not 1 <= page <= pages:
        abort(404, f"There is no such page: the last is page {pages}.")
    books = db.execute(
        "SELECT title, author FROM book ORDER BY id DESC LIMIT ? OFFSET ?",
        (per_page, (page - 1) * per_page),
    )
    html = render_template(
        "index.html",
        books=books.fetchall(),
        page=page,
        pages=pages,
        book=book or {},
        errors=errors or {},
        title_max=TITLE_MAX,
        author_max=AUTHOR_MAX,
    )
    return (html, status) if errors else html


@bp.get("/")
def index() -> ResponseReturnValue:
    raw = request.args.get("page", "1")
    # Digits only, and few: int() takes " 2", "+2" and "٢", and fails on 5,000 digits.
    page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0
    return render_shelf(page)


@bp.post("/")
def add() -> ResponseReturnValue:
    book, errors = read_form()
    if errors:
        return render_shelf(book=book, errors=errors)
    books_max: int = current_app.config["BOOKS_MAX"]
    db = get_db()
    with db:  # one transaction: the row is stored whole or not at all
        # Counted and added in one statement: SQLite takes its write lock before
        # it counts, so no other request (thread or process) adds one in between.
        cursor = db.execute(
            "INSERT INTO book (title, author)"
            " SELECT ?, ? WHERE (SELECT count(*) FROM book) < ?",
            (book["title"], book["author"], books_max),
        )
    if cursor.rowcount == 0:
        full = f"The shelf is full: {books_max:,} books at most."
        return render_shelf(book=book, errors={"shelf": full}, status=409)
    flash(f"Added “{book['title']}” to the shelf.")
    return redirect(url_for("shelf.index"), 303)
