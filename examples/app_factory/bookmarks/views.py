"""The bookmarks pages: a paginated list, and a form that adds to it."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort
from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal

from .models import Bookmark
from .models import db
from .models import TITLE_MAX
from .models import URL_MAX

bp = Blueprint("bookmarks", __name__)


def page_number() -> int:
    """The `?page=` number, or a 404 when it cannot name a page."""
    raw = request.args.get("page", "1")
    # Digits only, and few enough that OFFSET = (page - 1) * per_page stays
    # well inside SQLite's 64-bit integers instead of failing with a 500.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9 and int(raw) > 0):
        abort(404, "There is no such page.")
    return int(raw)


def render_list(
    page: int = 1, form: dict[str, str] | None = None, errors: list[str] | None = None
) -> str:
    """A page of the list, newest first, and the form: empty, or as posted with
    its errors. A 404 for a page the list does not fill."""
    # The app is not importable here (there may be many), but the one handling
    # this request is current_app, and its config holds the page size.
    per_page: int = current_app.config["BOOKMARKS_PER_PAGE"]
    query = db.select(Bookmark).order_by(Bookmark.id.desc())
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    if page > max(pagination.pages, 1):  # past the last page: no empty page
        abort(404, "There is no such page.")
    return render_template(
        "index.html",
        pagination=pagination,
        form=form or {},
        errors=errors or [],
    )


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_list(page_number())


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host, and nothing a browser would mangle."""
    if len(url) > URL_MAX or not url.isprintable() or " " in url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def validate(url: str, title: str) -> list[str]:
    """What is wrong with a submitted bookmark; empty when it can be stored."""
    errors = []
    if not is_web_url(url):
        errors.append("The URL must be a web address starting with http(s)://.")
    if not 1 <= len(title) <= TITLE_MAX or not title.isprintable():
        errors.append(f"The title must be 1 to {TITLE_MAX} printable characters.")
    return errors


def store(url: str, title: str, cap: int) -> bool:
    """Add the bookmark, unless the list holds `cap` already: False then."""
    room = db.select(func.count()).select_from(Bookmark).scalar_subquery() < cap
    row = db.select(literal(url), literal(title)).where(room)
    # Counted and added in one statement: SQLite takes its write lock before it
    # counts, so no other request (thread or worker process) adds one between.
    # (PostgreSQL's READ COMMITTED lets two both count room: there, LOCK TABLE
    # bookmark IN SHARE ROW EXCLUSIVE MODE first, in the same transaction.)
    statement = insert(Bookmark).from_select(["url", "title"], row)
    # On the session's connection, in its transaction: a Core result has rowcount.
    result = db.session.connection().execute(statement)
    db.session.commit()
    return result.rowcount == 1


@bp.post("/add")
def add() -> ResponseReturnValue:
    url = request.form.get("url", "").strip()
    title = request.form.get("title", "").strip()
    # Show the form again with what was typed, so nothing has to be retyped.
    typed = {"url": url, "title": title}
    if errors := validate(url, title):
        return render_list(form=typed, errors=errors), 400
    cap: int = current_app.config["BOOKMARKS_MAX"]
    if not store(url, title, cap):
        full = f"The list is full: {cap:,} bookmarks at most."
        return render_list(form=typed, errors=[full]), 409
    flash(f"Saved “{title}”.")
    # Post/redirect/get: reloading the list does not submit the form again.
    # 303 See Other says "now GET this", whatever Flask's default.
    return redirect(url_for("bookmarks.index"), 303)
