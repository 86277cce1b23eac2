"""The caching: a cached page, a memoized function dropped after each write,
and a page that must never be cached."""

from __future__ import annotations

from datetime import datetime
from datetime import UTC
from hashlib import sha256
from typing import Any

from flask import abort
from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_caching import Cache
from redis.exceptions import RedisError
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wrappers import Response

from . import books
from .errors import handle_http_error

cache = Cache()  # bound to each app by create_app(): cache.init_app(app)
bp = Blueprint("books", __name__)

RETRY_SECONDS = 5  # what a 503 asks the client to wait, when the cache is down
SEARCH_SECONDS = 60  # a search page may be a minute old: books rarely change
# A summary is dropped on every new review (delete_memoized below); its
# timeout is only a safety net, should some write forget to drop it.
SUMMARY_SECONDS = 24 * 3600


def only_successes(response: object) -> bool:
    """Flask-Caching 2.5 caches an abort() too, handing it here as Werkzeug's
    Response (the page itself is a str): keep those error answers out."""
    return not isinstance(response, Response)


def search_key() -> str:
    """The search page's cache key: exactly what it reads, not the query
    string. ?q=a&q=b and ?q=b&q=a are two pages; ?q=a&x=1 is ?q=a's. Hashed:
    short however long the search."""
    return "search/" + sha256(repr(search_args()).encode()).hexdigest()


@bp.get("/")
@cache.cached(
    timeout=SEARCH_SECONDS, key_prefix=search_key, response_filter=only_successes
)
def index() -> ResponseReturnValue:
    """Search, shared by every visitor: so nothing per visitor on this page."""
    text, sort = read_search()
    return render_template(
        "index.html",
        books=books.find_books(text, sort),
        q=text,
        sort=sort,
        rendered_at=datetime.now(UTC).strftime("%H:%M:%S UTC"),
        seconds=SEARCH_SECONDS,
    )


@cache.memoize(timeout=SUMMARY_SECONDS)
def rating_summary(book_id: int) -> books.Summary:
    """A book's ratings, computed once and kept until its next review."""
    return books.summarise_ratings(book_id)


@bp.post("/books/<int:book_id>/reviews")
def add_review(book_id: int) -> ResponseReturnValue:
    book = get_book_or_404(book_id)
    review, errors = read_review()
    if errors:
        return render_book(book, review, errors)
    # This book's cached summary is about to be wrong: drop it (the other books' stay).
    # First, before the write: with the cache down this raises (a 503), nothing stored.
    cache.delete_memoized(rating_summary, book_id)
    review_id = books.add_review(book_id, review["stars"], review["comment"])
    if review_id is None:  # the reviews are full: nothing was stored
        return render_book(book, review, {"form": full_message()}, 409)
    # Then after the commit: a request in between may have cached the old numbers.
    drop_again_after_commit(book_id)
    session["my_reviews"] = [review_id, *session.get("my_reviews", [])][:MY_MAX]
    flash(f"Thank you for reviewing “{book['title']}”.")
    return redirect(url_for("books.show", book_id=book_id), 303)


def drop_again_after_commit(book_id: int) -> None:
    try:
        cache.delete_memoized(rating_summary, book_id)
    except RedisError:
        # The review is stored: answer as for a success, as Flask-Caching does
        # when a read or write of the cache fails. The summary's timeout bounds
        # how long a number cached in that instant can stay.
        current_app.logger.exception("Could not drop the summary of book %s", book_id)


@bp.app_errorhandler(RedisError)
def cache_unreachable(error: RedisError) -> ResponseReturnValue:
    """With RedisCache down, a write that must drop an entry is a 503 to retry.

    Reads get here only in debug mode, where Flask-Caching re-raises; otherwise
    it logs a failed get or set and serves the page computed afresh.
    """
    current_app.logger.error("The cache is unreachable: %s", error)
    return handle_http_error(
        ServiceUnavailable(
            "The cache is unreachable, so nothing was saved. Try again in a moment.",
            retry_after=RETRY_SECONDS,
        )
    )


@bp.get("/mine")
def my_reviews() -> ResponseReturnValue:
    """Never cached: each visitor's session makes it different. Cached, the
    first visitor's reviews would be shown to everyone after them."""
    ids = session.get("my_reviews", [])
    return render_template("mine.html", reviews=books.reviews_by_id(ids))


# -- The rest of the demo ---------------------------------------------------------

QUERY_MAX = 100
COMMENT_MAX = 2000  # also a CHECK in books.SCHEMA
MY_MAX = 20  # reviews remembered in the session cookie
SQLITE_MAX_INT = 2**63 - 1


def search_args() -> tuple[str, str]:
    """All the search page reads of the request, as sent: its cache key."""
    return request.args.get("q", ""), request.args.get("sort", "title")


def read_search() -> tuple[str, str]:
    text, sort = search_args()
    text = text.strip()
    if len(text) > QUERY_MAX:
        abort(400, f"Keep the search to {QUERY_MAX} characters.")
    if sort not in books.SORTS:
        abort(400, "Sort by title or by year.")
    return text, sort


def read_review() -> tuple[dict[str, Any], dict[str, str]]:
    """The submitted review, and a message for each field that is not valid."""
    stars = request.form.get("stars", type=int)
    comment = request.form.get("comment", "").replace("\r\n", "\n").strip()
    errors = {}
    if stars is None or not 1 <= stars <= 5:
        errors["stars"] = "Give the book from 1 to 5 stars."
    if len(comment) > COMMENT_MAX:
        errors["comment"] = (
            f"Keep the comment to {COMMENT_MAX:,} characters"
            f" (this one has {len(comment):,})."
        )
    return {"stars": stars, "comment": comment}, errors


def full_message() -> str:
    return f"The reviews are full: {current_app.config['REVIEWS_MAX']:,} at most."


def get_book_or_404(book_id: int) -> dict[str, Any]:
    # SQLite integers are 64-bit: a larger id names no book (and would raise).
    book = books.get_book(book_id) if book_id <= SQLITE_MAX_INT else None
    if book is None:
        abort(404, f"There is no book {book_id}.")
    return book


def render_book(
    book: dict[str, Any],
    review: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 400,
) -> ResponseReturnValue:
    """The book's page; with `status` when its form comes back with errors."""
    html = render_template(
        "book.html",
        book=book,
        summary=rating_summary(book["id"]),
        reviews=books.latest_reviews(book["id"]),
        review=review or {},
        errors=errors or {},
        comment_max=COMMENT_MAX,
    )
    return (html, status) if errors else html


@bp.get("/books/<int:book_id>")
def show(book_id: int) -> ResponseReturnValue:
    return render_book(get_book_or_404(book_id))
