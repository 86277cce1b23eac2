"""A checklist as a resource: PUT replaces an item, PATCH changes part, DELETE removes.

The pages' forms POST with a hidden `_method` field; MethodOverrideMiddleware
turns them into these methods before routing, so each view is a plain
`@bp.put`, `@bp.patch` or `@bp.delete`.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from .db import get_db

bp = Blueprint("items", __name__)

NAME_MAX = 100  # also a CHECK in db.SCHEMA
ITEMS_MAX = 200  # a checklist, not a database: the list page stays short
SQLITE_MAX_INT = 2**63 - 1


def all_items() -> list[Any]:
    return get_db().execute("SELECT id, name, done FROM item ORDER BY id").fetchall()


def get_item(item_id: int) -> dict[str, Any]:
    """The item, or a 404 page that says it is not there."""
    row = None
    if item_id <= SQLITE_MAX_INT:  # a bigger number names no row (and overflows)
        row = (
            get_db()
            .execute("SELECT id, name, done FROM item WHERE id = ?", (item_id,))
            .fetchone()
        )
    if row is None:
        abort(404, f"There is no item {item_id}. It may have been deleted.")
    return dict(row)


def name_error(name: str) -> str | None:
    """What is wrong with a submitted name, or None."""
    if not name:
        return "Give the item a name."
    if len(name) > NAME_MAX:
        return f"Keep the name to {NAME_MAX} characters (this one has {len(name)})."
    if not name.isprintable():
        return "The name must be printable text on one line."
    return None


def done_value(raw: str) -> int:
    if raw not in {"0", "1"}:
        abort(400, "done must be 1 (done) or 0 (not done).")
    return int(raw)


def saved(message: str) -> ResponseReturnValue:
    flash(message)
    # 303 See Other: the browser follows with a GET, whatever the method was.
    return redirect(url_for("items.index"), 303)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html", items=all_items(), name_max=NAME_MAX)


@bp.post("/items")
def create() -> ResponseReturnValue:
    name = request.form.get("name", "").strip()
    db = get_db()
    if error := name_error(name):
        html = render_template(
            "index.html", items=all_items(), name_max=NAME_MAX, name=name, error=error
        )
        return html, 400
    with db:  # one statement counts and inserts, so two requests cannot overfill
        cursor = db.execute(
            "INSERT INTO item (name) SELECT ? WHERE (SELECT count(*) FROM item) < ?",
            (name, ITEMS_MAX),
        )
    if cursor.rowcount == 0:
        abort(400, f"The list is full: {ITEMS_MAX} items at most.")
    return saved(f"Added “{name}”.")


@bp.get("/items/<int:item_id>")
def show(item_id: int) -> ResponseReturnValue:
    return render_template("item.html", item=get_item(item_id), name_max=NAME_MAX)


@bp.put("/items/<int:item_id>")
def replace(item_id: int) -> ResponseReturnValue:
    """PUT sends the whole item: an unticked box (absent field) means not done."""
    item = get_item(item_id)
    name = request.form.get("name", "").strip()
    if error := name_error(name):
        item["name"] = name
        html = render_template("item.html", item=item, name_max=NAME_MAX, error=error)
        return html, 400
    done = int("done" in request.form)
    with get_db() as db:
        db.execute(
            "UPDATE item SET name = ?, done = ? WHERE id = ?", (name, done, item_id)
        )
    return saved(f"Saved “{name}”.")


@bp.patch("/items/<int:item_id>")
def update(item_id: int) -> ResponseReturnValue:
    """PATCH sends only what changes: `name`, `done`, or both."""
    item = get_item(item_id)
    if "name" not in request.form and "done" not in request.form:
        abort(400, "Send a name or done to change.")
    name = request.form.get("name", item["name"]).strip()
    if error := name_error(name):
        abort(400, error)
    done = done_value(request.form.get("done", str(item["done"])))
    with get_db() as db:
        db.execute(
            "UPDATE item SET name = ?, done = ? WHERE id = ?", (name, done, item_id)
        )
    return saved(f"Updated “{name}”: {'done' if done else 'not done'}.")


@bp.delete("/items/<int:item_id>")
def delete(item_id: int) -> ResponseReturnValue:
    item = get_item(item_id)
    with get_db() as db:
        db.execute("DELETE FROM item WHERE id = ?", (item_id,))
    return saved(f"Deleted “{item['name']}”.")
