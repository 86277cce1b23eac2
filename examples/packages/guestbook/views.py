"""The guestbook's pages, routed on `app` itself, as the Flask docs' package does."""

from __future__ import annotations

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from . import app  # the circular import: __init__.py imports this module last
from .db import add_entry
from .db import latest_entries

NAME_MAX = 60
MESSAGE_MAX = 500


@app.get("/")
def index() -> ResponseReturnValue:
    return render_index()


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
    add_entry(name, message)
    flash("Thank you for signing the guestbook.")
    return redirect(url_for("index"), 303)  # 303: a reload does not post again


def render_index(
    form: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> str:
    return render_template(
        "index.html",
        entries=latest_entries(),
        form=form or {},
        errors=errors or {},
        name_max=NAME_MAX,
        message_max=MESSAGE_MAX,
    )
