"""The journal's pages: the same views whichever store DB_STYLE chose."""

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

from .store import BODY_MAX
from .store import current_store
from .store import DuplicateTitle
from .store import Entry
from .store import JournalFull
from .store import MAX_ID
from .store import NO_SUCH_ENTRY
from .store import TITLE_MAX

bp = Blueprint("journal", __name__)

PER_PAGE = 20
# No table of 32-bit ids fills more pages than this: beyond it no page can
# exist, and an offset that large would overflow the driver.
LAST_POSSIBLE_PAGE = -(-MAX_ID // PER_PAGE)


def read_form() -> tuple[dict[str, str], dict[str, str]]:
    """The submitted entry, and a message for each field that is not valid."""
    title = request.form.get("title", "").strip()
    body = request.form.get("body")
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give the entry a title."
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
    # PostgreSQL refuses NUL in text: catch it here, not as a driver error.
    for field, value in (("title", title), ("body", body)):
        if "\x00" in value:
            errors[field] = f"The {field} must not contain NUL characters."
    return {"title": title, "body": body}, errors


def render_form(
    entry: Mapping[str, str], errors: Mapping[str, str], status: int = 200
) -> ResponseReturnValue:
    html = render_template(
        "form.html", entry=entry, errors=errors, title_max=TITLE_MAX, body_max=BODY_MAX
    )
    return html, status


def page_number() -> int:
    """The ?page= number: 400 if it is no whole number from 1, 404 if too far."""
    value = request.args.get("page", "1")
    digits = value.lstrip("0")
    if not (value.isascii() and value.isdigit()) or not digits:
        abort(400, "The page number must be a whole number from 1 up.")
    if len(digits) > len(str(LAST_POSSIBLE_PAGE)) or int(digits) > LAST_POSSIBLE_PAGE:
        abort(404, f"There is no page {digits}.")
    return int(digits)


def get_entry(entry_id: int) -> Entry:
    if entry_id > MAX_ID:
        abort(404, f"There is no entry {entry_id}.")
    return current_store().get_or_404(entry_id)


@bp.get("/")
def index() -> ResponseReturnValue:
    number = page_number()
    page = current_store().page(number, PER_PAGE)
    if number > page.pages:
        abort(404, f"There is no page {number}.")
    return render_template(
        "index.html", page=page, style=current_app.config["DB_STYLE"]
    )


@bp.get("/<int:entry_id>")
def show(entry_id: int) -> ResponseReturnValue:
    return render_template("show.html", entry=get_entry(entry_id))


@bp.route("/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    if request.method == "GET":
        return render_form({}, {})
    entry, errors = read_form()
    if errors:
        return render_form(entry, errors, 400)
    try:
        saved = current_store().add(entry["title"], entry["body"])
    except DuplicateTitle:
        # The unique constraint decided, so two people posting the same
        # title at once cannot both get in. Nothing was stored: say why.
        taken = f"There is already an entry titled “{entry['title']}”."
        return render_form(entry, {"title": taken + " Choose another title."}, 409)
    except JournalFull:
        most = current_app.config["ENTRIES_MAX"]
        full = f"The journal is full: {most:,} entries at most."
        return render_form(entry, {"journal": full + " Delete one to make room."}, 409)
    flash(f"Created “{saved.title}”.")
    # 303 See Other: the browser follows with a GET, so a reload never posts twice.
    return redirect(url_for("journal.show", entry_id=saved.id), 303)


@bp.post("/<int:entry_id>/delete")
def delete(entry_id: int) -> ResponseReturnValue:
    if entry_id > MAX_ID:
        abort(404, f"There is no entry {entry_id}.")
    title = current_store().delete(entry_id)
    if title is None:  # already gone, perhaps deleted in another tab
        abort(404, NO_SUCH_ENTRY.format(entry_id))
    flash(f"Deleted “{title}”.")
    return redirect(url_for("journal.index"), 303)
