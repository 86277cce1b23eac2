"""Notes: list, show, create, edit and delete, each write in one transaction."""

from __future__ import annotations

from collections.abc import Mapping

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
from .db import query_db

bp = Blueprint("notes", __name__)

# The same limits are CHECK constraints in schema.sql.
TITLE_MAX = 200
BODY_MAX = 10_000
SQLITE_MAX_INT = 2**63 - 1


def read_form() -> tuple[dict[str, str], dict[str, str]]:
    """The submitted note, and a message for each field that is not valid."""
    title = request.form.get("title", "").strip()
    body = request.form.get("body")
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give the note a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = (
            f"Keep the title to {TITLE_MAX} characters (this one has {len(title)})."
        )
    if body is None:  # a browser always sends the textarea, even empty
        errors["body"] = "The form sent no body field."
        body = ""
    body = body.replace("\r\n", "\n")  # browsers send CRLF; count a line break once
    if len(body) > BODY_MAX:
        errors["body"] = (
            f"Keep the body to {BODY_MAX:,} characters (this one has {len(body):,})."
        )
    # SQLite's length() stops at a NUL, so the CHECKs would miscount.
    for field, value in (("title", title), ("body", body)):
        if "\x00" in value:
            errors[field] = f"The {field} must not contain NUL characters."
    return {"title": title, "body": body}, errors


def render_form(
    note: Mapping[str, object],
    note_id: int | None,
    errors: Mapping[str, str] | None = None,
    status: int = 400,
) -> ResponseReturnValue:
    """The new or edit form; with `status` when it comes back with errors."""
    html = render_template(
        "form.html",
        note=note,
        note_id=note_id,
        errors=errors or {},
        title_max=TITLE_MAX,
        body_max=BODY_MAX,
    )
    return (html, status) if errors else html


def get_note(note_id: int) -> dict[str, object]:
    """The note, or a 404 page that says it is not there."""
    # SQLite integers are 64-bit: a larger id in the URL names no note (and
    # would make sqlite3 raise OverflowError, a 500, if passed on).
    if note_id > SQLITE_MAX_INT:
        abort(404, f"There is no note {note_id}.")
    row = query_db(
        "SELECT id, title, body, created FROM note WHERE id = ?", (note_id,), one=True
    )
    if row is None:
        abort(404, f"There is no note {note_id}. It may have been deleted.")
    return dict(row)


@bp.get("/")
def index() -> ResponseReturnValue:
    """One page of the notes (?page=2), newest first."""
    per_page: int = current_app.config["NOTES_PER_PAGE"]
    count: int = get_db().execute("SELECT count(*) FROM note").fetchone()[0]
    pages = max(1, -(-count // per_page))  # no notes is one empty page
    raw = request.args.get("page", "1")
    # Digits only, and few: int() of thousands of digits is a ValueError.
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0
    if not 0 < number <= pages:
        abort(404, f"There is no such page of notes: the last is page {pages}.")
    notes = query_db(
        "SELECT id, title, created FROM note ORDER BY created DESC, id DESC"
        " LIMIT ? OFFSET ?",
        (per_page, (number - 1) * per_page),
    )
    return render_template("index.html", notes=notes, number=number, pages=pages)


@bp.get("/<int:note_id>")
def show(note_id: int) -> ResponseReturnValue:
    return render_template("show.html", note=get_note(note_id))


@bp.route("/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    if request.method == "GET":
        return render_form({}, None)
    note, errors = read_form()
    if errors:
        return render_form(note, None, errors)
    limit: int = current_app.config["NOTES_MAX"]
    db = get_db()
    with db:  # commits on success, rolls back if anything raises
        # One statement counts and inserts, under SQLite's write lock: racing
        # requests, in threads or worker processes, cannot overfill the table.
        cursor = db.execute(
            "INSERT INTO note (title, body)"
            " SELECT ?, ? WHERE (SELECT count(*) FROM note) < ?",
            (note["title"], note["body"], limit),
        )
    if cursor.rowcount == 0:
        full = f"The notes are full: {limit:,} at most. Delete one to make room."
        return render_form(note, None, {"form": full}, 409)
    flash(f"Created “{note['title']}”.")
    # 303 See Other: the browser follows with a GET, so reloading the
    # page it lands on never posts the form twice.
    return redirect(url_for("notes.show", note_id=cursor.lastrowid), 303)


@bp.route("/<int:note_id>/edit", methods=["GET", "POST"])
def edit(note_id: int) -> ResponseReturnValue:
    stored = get_note(note_id)
    if request.method == "GET":
        return render_form(stored, note_id)
    note, errors = read_form()
    if errors:
        return render_form(note, note_id, errors)
    db = get_db()
    with db:
        cursor = db.execute(
            "UPDATE note SET title = ?, body = ? WHERE id = ?",
            (note["title"], note["body"], note_id),
        )
    if cursor.rowcount == 0:  # deleted by someone else since get_note()
        abort(404, f"There is no note {note_id}. It may have been deleted.")
    flash(f"Saved “{note['title']}”.")
    return redirect(url_for("notes.show", note_id=note_id), 303)


@bp.post("/<int:note_id>/delete")
def delete(note_id: int) -> ResponseReturnValue:
    note = get_note(note_id)
    db = get_db()
    with db:
        db.execute("DELETE FROM note WHERE id = ?", (note_id,))
    flash(f"Deleted “{note['title']}”.")
    return redirect(url_for("notes.index"), 303)
