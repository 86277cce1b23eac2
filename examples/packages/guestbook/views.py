"""The guestbook's pages, routed on `app` itself, as the Flask docs' package does."""

from __future__ import annotations

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from . import app  # the circular import: __init__.py imports this module last
from .db import add_entry
from .db import count_entries
from .db import latest_entries

NAME_MAX = 60
MESSAGE_MAX = 500


@app.get("/")
def index() -> ResponseReturnValue:
    raw = request.args.get("page", "1")
    # Digits only, and few: int() of thousands of digits is a ValueError.
    page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0
    return render_index(page=page)


@app.post("/sign")
def sign() -> ResponseReturnValue:
    name = request.form.get("name", "").strip()
    # Browsers send a line break as CRLF; count it once.
    message = request.form.get("message", "").replace("\r\n", "\n").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > NAME_MAX or not name.isprintable():
        errors["name"] = f"Give a name of 1 to {NAME_MAX} printable characters."
    if not message or len(message) > MESSAGE_MAX:
        errors["message"] = f"Write a message of 1 to {MESSAGE_MAX} characters."
    elif not all(c.isprintable() or c in "\n\t" for c in message):
        errors["message"] = "The message must not contain control characters."
    if errors:
        return render_index({"name": name, "message": message}, errors), 400
    limit: int = app.config["ENTRIES_MAX"]
    if not add_entry(name, message, limit):
        errors["entry"] = f"The guestbook is full: {limit:,} entries at most."
        return render_index({"name": name, "message": message}, errors), 409
    flash("Thank you for signing the guestbook.")
    return redirect(url_for("index"), 303)  # 303: a reload does not post again


def render_index(
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    page: int = 1,
) -> str:
    """The form and one page of entries, newest first; a 404 for no such page."""
    per_page: int = app.config["ENTRIES_PER_PAGE"]
    pages = max(1, -(-count_entries() // per_page))  # no entries: one empty page
    if not 0 < page <= pages:
        abort(404, f"There is no such page: the last is page {pages}.")
    return render_template(
        "index.html",
        entries=latest_entries(per_page, (page - 1) * per_page),
        page=page,
        pages=pages,
        form=form or {},
        errors=errors or {},
        name_max=NAME_MAX,
        message_max=MESSAGE_MAX,
    )
