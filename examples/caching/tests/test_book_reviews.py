"""Caching with Flask-Caching: a cached page, memoized summaries dropped on
write, a page never cached. Every cache test runs on SimpleCache and on a real
Redis server; hits and misses are counted, never timed."""

from __future__ import annotations

import io
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as StillWaiting
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import redis
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from flask_caching.backends import RedisCache
from flask_caching.backends import SimpleCache
from werkzeug.exceptions import default_exceptions
from werkzeug.test import TestResponse

from book_reviews import books
from book_reviews import create_app
from book_reviews import views
from book_reviews.views import cache


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the slow functions really ran: a miss counts, a hit does not."""
    counts: Counter[str] = Counter()

    def counted(name: str) -> Callable[..., Any]:
        real = getattr(books, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)

        return spy

    for name in ("find_books", "summarise_ratings"):
        monkeypatch.setattr(books, name, counted(name))
    return counts


class ServerClock(datetime):
    """Always 12:34:56 UTC, on a server whose local time is 5 hours ahead."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:
        instant = datetime(2026, 1, 2, 12, 34, 56, tzinfo=UTC)
        local = instant.replace(tzinfo=None) + timedelta(hours=5)
        return instant.astimezone(tz) if tz else local


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages' times read from `ServerClock`: what they show, exactly."""
    monkeypatch.setattr(books, "datetime", ServerClock)
    monkeypatch.setattr(views, "datetime", ServerClock)


def get(client: FlaskClient, path: str) -> TestResponse:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response


def review(client: FlaskClient, book_id: int, stars: int, comment: str = "") -> None:
    response = client.post(
        f"/books/{book_id}/reviews", data={"stars": stars, "comment": comment}
    )
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == f"/books/{book_id}"


def assert_error_page(response: TestResponse, status: int, message: str) -> None:
    """The app's own error page (not Werkzeug's): its layout, its message, and
    a link back to the books."""
    assert response.status_code == status, response.text
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None
    name = default_exceptions[status]().name  # "Not Found", as Werkzeug says it
    assert soup.title.get_text() == f"{status} {name} · Book reviews"
    heading = soup.find("h1")
    assert heading is not None and heading.get_text() == f"{status} {name}"
    message_shown = heading.find_next_sibling("p")
    assert message_shown is not None and message_shown.get_text() == message
    link = soup.find("a", string="Back to the books")
    assert link is not None, response.text
    assert link.get("href") == "/"


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def answer_within(seconds: float, request: Callable[[], TestResponse]) -> TestResponse:
    """The response, or a failure that says the request hangs.

    A hung request is left behind (no waiting for it): the fixture that froze
    the server thaws and stops it after the test, and that releases it.
    """
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(request).result(timeout=seconds)
    except StillWaiting:
        raise AssertionError(f"no answer after {seconds} s: no timeout?") from None
    finally:
        pool.shutdown(wait=False)


def page_key(app: Flask, query: str) -> str:
    """The key the search page is cached under, for a query string."""
    with app.test_request_context(f"/?{query}"):
        return views.index.make_cache_key()


def summary_key(book_id: int) -> str:
    """The key a book's memoized summary is cached under (in an app context)."""
    return views.rating_summary.make_cache_key(views.rating_summary.uncached, book_id)


def seconds_left(app: Flask, key: str) -> float:
    """How long the backend itself will keep `key`."""
    backend = app.extensions["cache"][cache]
    if isinstance(backend, RedisCache):
        with redis.Redis.from_url(app.config["CACHE_REDIS_URL"]) as client:
            return float(client.ttl(app.config["CACHE_KEY_PREFIX"] + key))
    expires, _ = backend._cache[key]  # SimpleCache keeps (expiry time, value)
    return float(expires - time.time())


# --- The configuration -----------------------------------------------------------

MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"SECRET_KEY": ""},
        {"SECRET_KEY": 12345},
        {"TESTING": True, "SECRET_KEY": ""},
    ],
    ids=["none", "empty", "not-a-string", "empty-in-testing"],
)
def test_the_app_refuses_to_start_without_a_secret_key(
    tmp_path: Path, settings: dict[str, object]
) -> None:
    database = str(tmp_path / "book_reviews.sqlite")
    with pytest.raises(RuntimeError) as refused:
        create_app({"DATABASE": database, **settings})
    assert str(refused.value) == MISSING_KEY


@pytest.mark.parametrize("mode", ["DEBUG", "TESTING"])
def test_debug_and_testing_run_on_a_development_secret(
    tmp_path: Path, mode: str
) -> None:
    app = create_app(
        {mode: True, "DATABASE": str(tmp_path / "db.sqlite"), "WTF_CSRF_ENABLED": False}
    )
    client = app.test_client()
    review(client, 1, 5, "Signed.")
    assert "Signed." in get(client, "/mine").text  # the session cookie was signed


def test_the_session_cookie_is_samesite_lax(client: FlaskClient) -> None:
    review(client, 1, 5)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.same_site == "Lax"


def test_the_instance_config_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """instance/config.py, as deployed; the instance folder is moved to
    tmp_path so that the test writes nothing into the package."""
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda _: str(tmp_path))
    (tmp_path / "config.py").write_text('SECRET_KEY = "instance"\nREVIEWS_MAX = 2\n')
    monkeypatch.setenv("FLASK_SECRET_KEY", "environment")
    app = create_app()
    assert app.config["DATABASE"] == str(tmp_path / "book_reviews.sqlite")
    assert app.config["REVIEWS_MAX"] == 2
    assert app.secret_key == "environment"


def test_redis_is_looked_for_on_this_machine_without_redis_url(
    config: dict[str, object],
) -> None:
    app = create_app({**config, "CACHE_TYPE": "RedisCache"})
    pool = app.extensions["cache"][cache]._write_client.connection_pool
    kwargs = pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("127.0.0.1", 6379, 0)


def test_a_request_uses_one_database_connection_and_closes_it(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def connect(*args: Any) -> sqlite3.Connection:
        opened.append(real_connect(*args))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", connect)
    get(client, "/books/1")  # the book, its summary and its reviews: three reads
    [connection] = opened
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        connection.execute("SELECT 1")


# --- The backends ---------------------------------------------------------------


def test_simplecache_is_the_default(config: dict[str, object]) -> None:
    app = create_app(config)
    assert type(app.extensions["cache"][cache]) is SimpleCache


def test_redis_is_chosen_with_flask_cache_type_and_redis_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    """As deployed: no test config, everything from the environment."""
    monkeypatch.setenv("FLASK_CACHE_TYPE", "RedisCache")  # redis_url set REDIS_URL
    monkeypatch.setenv("FLASK_SECRET_KEY", "test")
    monkeypatch.setenv("FLASK_DATABASE", str(tmp_path / "book_reviews.sqlite"))
    app = create_app()
    assert isinstance(app.extensions["cache"][cache], RedisCache)
    get(app.test_client(), "/?q=emma")
    with redis.Redis.from_url(redis_url) as server:
        assert server.exists("book_reviews:" + page_key(app, "q=emma"))


def test_clearing_the_cache_leaves_other_keys_in_the_redis_database(
    config: dict[str, object], redis_url: str
) -> None:
    app = create_app({**config, "CACHE_TYPE": "RedisCache"})  # at redis_url
    client = app.test_client()
    get(client, "/?q=emma")
    get(client, "/books/1")
    with redis.Redis.from_url(redis_url) as server:
        server.set("celery-task-meta-1", "not the cache's")
        assert len(server.keys("book_reviews:*")) >= 2
        with app.app_context():
            cache.clear()
        assert server.keys("book_reviews:*") == []
        assert server.get("celery-task-meta-1") == b"not the cache's"


# --- The cached search page -----------------------------------------------------


def test_the_search_page_is_computed_once_then_served_from_the_cache(
    client: FlaskClient, calls: Counter[str]
) -> None:
    first = get(client, "/?q=austen")
    again = get(client, "/?q=austen")
    assert calls["find_books"] == 1
    assert again.text == first.text  # the same "Rendered at" time too
    assert "Persuasion" in first.text
    assert "Dracula" not in first.text


def test_the_search_page_shows_the_search_and_when_it_was_computed(
    client: FlaskClient, clock: None
) -> None:
    soup = BeautifulSoup(get(client, "/?q=+austen+&sort=year").text, "html.parser")
    search = soup.select_one("input[name=q]")
    assert search is not None and search.get("value") == "austen"
    chosen = soup.select_one("select[name=sort] option[selected]")
    assert chosen is not None and chosen.get("value") == "year"
    assert " ".join(soup.select("small")[-1].get_text().split()) == (
        "Rendered at 12:34:56 UTC. This page, for this query, comes"
        " from the cache for 60 seconds: reload it and the time stays."
    )


@pytest.mark.parametrize(
    ("first", "second", "computed"),
    [
        ("/?q=emma", "/?q=emma", 1),
        ("/?q=emma&sort=year", "/?sort=year&q=emma", 1),  # order does not matter
        ("/", "/?", 1),
        ("/?q=emma", "/?q=dracula", 2),
        ("/?q=emma", "/?q=emma&sort=year", 2),
        ("/?q=emma", "/?q=Emma", 2),  # the query string as sent, not its meaning
        # The page reads the first q and sort: nothing else splits its entry.
        ("/?q=emma", "/?q=emma&page=2", 1),
        ("/?q=emma", "/?q=emma&q=dracula", 1),
        ("/?sort=year", "/?sort=year&sort=title", 1),
        ("/", "/?q=&sort=title", 1),  # the defaults, spelled out
        ("/?q=emma&q=zzz", "/?q=zzz&q=emma", 2),  # the same pairs, not one page
        ("/?sort=year&sort=title", "/?sort=title&sort=year", 2),
    ],
)
def test_what_the_page_reads_is_its_cache_key(
    client: FlaskClient, calls: Counter[str], first: str, second: str, computed: int
) -> None:
    get(client, first)
    get(client, second)
    assert calls["find_books"] == computed


def test_another_query_gets_its_own_page_not_the_cached_one(
    client: FlaskClient,
) -> None:
    assert "Emma" in get(client, "/?q=emma").text
    page = get(client, "/?q=dracula").text
    assert "Dracula" in page
    assert "Emma" not in page


@pytest.mark.parametrize(
    ("first", "second", "titles"),
    [
        ("/?q=Emma&q=zzz", "/?q=zzz&q=Emma", []),
        ("/?q=zzz&q=Emma", "/?q=Emma&q=zzz", ["Emma"]),
        (
            "/?q=austen&sort=title&sort=year",
            "/?q=austen&sort=year&sort=title",
            ["Pride and Prejudice", "Emma", "Persuasion"],
        ),
    ],
)
def test_a_url_with_the_same_arguments_in_another_order_gets_its_own_page(
    client: FlaskClient, first: str, second: str, titles: list[str]
) -> None:
    """The page reads the first q and sort: swapped, they make another page."""
    get(client, first)
    page = get(client, second).text
    found = [title for _, title, _, _ in books.BOOKS if f">{title}</a>" in page]
    assert sorted(found, key=page.index) == titles
    if not titles:
        assert "No book matches “zzz”." in page


def test_the_page_is_cached_under_the_key_of_what_it_reads(
    app: Flask, client: FlaskClient
) -> None:
    page = get(client, "/?sort=year&q=emma&page=2").text
    with app.app_context():
        assert cache.get(page_key(app, "q=emma&sort=year")) == page
        assert cache.get(page_key(app, "q=emma")) is None


def test_a_dropped_page_is_computed_again(
    app: Flask, client: FlaskClient, calls: Counter[str]
) -> None:
    """What expiry does, without waiting for it: the entry goes, the view runs."""
    get(client, "/?q=emma")
    with app.app_context():
        assert cache.delete(page_key(app, "q=emma"))
    get(client, "/?q=emma")
    with app.app_context():
        cache.clear()
    get(client, "/?q=emma")
    assert calls["find_books"] == 3


def test_entries_carry_their_timeouts(app: Flask, client: FlaskClient) -> None:
    get(client, "/?q=emma")
    get(client, "/books/2")
    with app.app_context():
        assert 0 < seconds_left(app, page_key(app, "q=emma")) <= views.SEARCH_SECONDS
        # Long: dropped on each review, the timeout is only a safety net.
        summary = seconds_left(app, summary_key(2))
        assert views.SUMMARY_SECONDS - 60 < summary <= views.SUMMARY_SECONDS


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("q=austen", ["Emma", "Persuasion", "Pride and Prejudice"]),
        ("q=austen&sort=year", ["Pride and Prejudice", "Emma", "Persuasion"]),
        ("q=+DRAC+", ["Dracula"]),
        ("q=%25", []),  # LIKE's wildcards are searched for as characters
        ("q=_", []),
        ("q=%5Ca", []),  # and so is its escape character: not "a"
        ("q=" + "a" * 100, []),  # the longest search
        ("q=+" + "e" * 100 + "+", []),  # spaces around it do not count
    ],
    ids=[
        "austen",
        "by-year",
        "spaces",
        "percent",
        "underscore",
        "backslash",
        "longest",
        "longest-with-spaces",
    ],
)
def test_search_finds_titles_and_authors(
    client: FlaskClient, query: str, titles: list[str]
) -> None:
    page = get(client, f"/?{query}").text
    found = [title for _, title, _, _ in books.BOOKS if f">{title}</a>" in page]
    assert sorted(found, key=page.index) == titles
    if not titles:
        assert "No book matches" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=" + "x" * 101, "Keep the search to 100 characters."),
        ("sort=author", "Sort by title or by year."),
    ],
)
def test_a_bad_search_is_a_400_and_is_not_cached(
    app: Flask, client: FlaskClient, query: str, message: str
) -> None:
    assert_error_page(client.get(f"/?{query}"), 400, message)
    with app.app_context():
        assert cache.get(page_key(app, query)) is None


def test_the_cached_page_holds_no_visitors_flash(
    app: Flask, client: FlaskClient
) -> None:
    review(client, 1, 5)  # flashes "Thank you ..." to this visitor
    assert "Thank you" not in get(client, "/?q=pride").text  # cached for all
    assert "Thank you" not in get(app.test_client(), "/?q=pride").text
    assert (
        "Thank you for reviewing “Pride and Prejudice”." in get(client, "/books/1").text
    )  # still waiting for its visitor, on a page that is not cached


# --- The memoized summary -------------------------------------------------------


def test_a_summary_is_computed_once_per_book(
    client: FlaskClient, calls: Counter[str]
) -> None:
    get(client, "/books/1")
    get(client, "/books/1")
    get(client, "/books/2")
    get(client, "/books/2")
    assert calls["summarise_ratings"] == 2


def test_a_review_drops_that_books_summary_and_no_other(
    client: FlaskClient, calls: Counter[str]
) -> None:
    assert "No reviews yet." in get(client, "/books/1").text
    get(client, "/books/2")
    review(client, 1, 4)
    assert "4.0 stars on average, from 1 review." in get(client, "/books/1").text
    get(client, "/books/2")
    assert calls["summarise_ratings"] == 3  # book 1 twice, book 2 once


def test_without_the_drop_the_summary_would_be_stale(
    app: Flask, client: FlaskClient
) -> None:
    """A review stored behind the cache's back: the cached summary stays."""
    get(client, "/books/3")
    with app.app_context():
        books.add_review(3, 2, "")
    assert "No reviews yet." in get(client, "/books/3").text
    with app.app_context():
        cache.delete_memoized(views.rating_summary, 3)
    assert "2.0 stars on average, from 1 review." in get(client, "/books/3").text


def test_the_summary_counts_and_averages_the_stars(
    client: FlaskClient, clock: None
) -> None:
    for n, stars in enumerate((1, 3, 3, 5, 5, 5), start=1):
        review(client, 6, stars, f"Review {n}")
    page = get(client, "/books/6").text
    assert "3.7 stars on average, from 6 reviews." in page
    # 1 to 5 stars: each count in its own column
    assert "<td>1</td><td>0</td><td>2</td><td>0</td><td>3</td>" in page
    assert "Summary computed at 12:34:56 UTC and kept" in page
    # The five latest reviews, newest first
    shown = BeautifulSoup(page, "html.parser").select("li span")
    assert [span.get_text() for span in shown] == [
        f"Review {n}" for n in (6, 5, 4, 3, 2)
    ]


# --- Writing a review -----------------------------------------------------------


@pytest.fixture
def redis_down(config: dict[str, object], unreachable_redis_url: str) -> Flask:
    """The app on RedisCache, with no Redis listening where it points."""
    return create_app(
        {**config, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": unreachable_redis_url}
    )


def test_with_redis_down_pages_are_computed_afresh(redis_down: Flask) -> None:
    client = redis_down.test_client()
    assert "Dracula" in get(client, "/?q=dracula").text
    assert "No reviews yet." in get(client, "/books/9").text


def test_with_redis_down_a_review_is_a_503_to_retry_and_stores_nothing(
    redis_down: Flask, unreachable_redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = redis_down.test_client().post(
        "/books/9/reviews", data={"stars": 5, "comment": "Lost?"}
    )

    assert_error_page(
        response,
        503,
        "The cache is unreachable, so nothing was saved. Try again in a moment.",
    )
    assert response.headers["Retry-After"] == str(views.RETRY_SECONDS)
    with redis_down.app_context():
        assert books.latest_reviews(9) == []
    # The operator's side: the app's log says so, with redis-py's reason.
    [logged] = [r for r in caplog.records if r.name == redis_down.logger.name]
    assert logged.levelname == "ERROR"
    address = unreachable_redis_url.removeprefix("redis://").removesuffix("/0")
    message = logged.getMessage()  # "Error 111" on Linux, "Error 61" on macOS
    assert message.startswith("The cache is unreachable: Error "), message
    assert message.endswith(f" connecting to {address}. Connection refused."), message


def redis_timeouts(app: Flask) -> tuple[float | None, float | None]:
    """How long the app's Redis client waits to connect, then for a reply
    (None: for ever). Read from a connection built as its pool builds them,
    not connected: nothing is sent."""
    pool = app.extensions["cache"][cache]._write_client.connection_pool
    connection = pool.connection_class(**pool.connection_kwargs)
    return connection.socket_connect_timeout, connection.socket_timeout


def test_with_redis_frozen_nothing_hangs(
    config: dict[str, object], frozen_redis: str
) -> None:
    """redis-py gives up after its socket timeout: the page, then a 503."""
    on_redis = {**config, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": frozen_redis}
    # With no options, as deployed: redis-py 8 gives up after 5 s, where
    # older ones waited for ever.
    assert redis_timeouts(create_app(on_redis)) == (5, 5)
    # Here after a quarter of a second, set through Flask-Caching's options
    # for the client, so that the test does not wait out 5 s per request: a
    # frozen server never answers, however long the wait.
    quick = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
    app = create_app({**on_redis, "CACHE_OPTIONS": quick})
    assert redis_timeouts(app) == (0.25, 0.25)
    client = app.test_client()

    page = answer_within(15, lambda: client.get("/?q=dracula"))
    assert page.status_code == 200, page.text
    assert "Dracula" in page.text
    posted = answer_within(
        15, lambda: client.post("/books/9/reviews", data={"stars": 5})
    )
    assert_error_page(
        posted,
        503,
        "The cache is unreachable, so nothing was saved. Try again in a moment.",
    )
    with app.app_context():
        assert books.latest_reviews(9) == []


def test_a_summary_cached_during_the_write_is_dropped_after_the_commit(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another visitor reads the book between the first drop and the commit:
    the old numbers they cache go with the second drop."""
    real_add_review = books.add_review

    def read_in_between(*args: Any) -> int | None:
        assert "No reviews yet." in get(app.test_client(), "/books/7").text
        return real_add_review(*args)

    monkeypatch.setattr(books, "add_review", read_in_between)
    review(client, 7, 2)
    assert "2.0 stars on average, from 1 review." in get(client, "/books/7").text


def test_a_cache_failing_just_after_the_commit_keeps_the_review(
    config: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app({**config, "CACHE_TYPE": "RedisCache"})  # at redis_url
    client = app.test_client()
    get(client, "/books/9")  # its summary is cached
    real_delete = cache.delete_memoized
    drops: list[int] = []

    def fails_the_second_time(*args: Any, **kwargs: Any) -> None:
        drops.append(1)
        if len(drops) == 2:
            raise redis.ConnectionError("Redis went away")
        real_delete(*args, **kwargs)

    monkeypatch.setattr(cache, "delete_memoized", fails_the_second_time)
    review(client, 9, 4, "Kept.")

    assert len(drops) == 2
    [logged] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert logged.getMessage() == "Could not drop the summary of book 9"
    assert logged.exc_info is not None
    assert str(logged.exc_info[1]) == "Redis went away"
    with app.app_context():
        assert [r["comment"] for r in books.latest_reviews(9)] == ["Kept."]
    # Dropped before the write, so the page shows the new review's numbers.
    assert "4.0 stars on average, from 1 review." in get(client, "/books/9").text


def test_a_review_is_stored_and_shown(app: Flask, client: FlaskClient) -> None:
    review(client, 9, 3, "  Spooky.\r\nVery.  ")
    page = get(client, "/books/9").text
    assert "Thank you for reviewing “Dracula”." in page
    assert "★★★ <span" in page
    with app.app_context():
        assert books.latest_reviews(9) == [
            {"id": 1, "stars": 3, "comment": "Spooky.\nVery."}
        ]


NO_STARS = "Give the book from 1 to 5 stars."
TOO_LONG = "Keep the comment to 2,000 characters (this one has 2,001)."


@pytest.mark.parametrize(
    ("form", "messages", "stars_kept"),
    [
        ({"comment": "no stars"}, [NO_STARS], None),
        ({"stars": "0"}, [NO_STARS], None),
        ({"stars": "6"}, [NO_STARS], None),
        ({"stars": "four"}, [NO_STARS], None),
        ({"stars": "5", "comment": "x" * 2001}, [TOO_LONG], "5"),
        ({"stars": "0", "comment": "x" * 2001}, [NO_STARS, TOO_LONG], None),
    ],
    ids=["no-stars", "zero", "six", "not-a-number", "long-comment", "both"],
)
def test_a_bad_review_is_a_400_with_the_form_as_typed_and_stores_nothing(
    app: Flask,
    client: FlaskClient,
    calls: Counter[str],
    form: dict[str, str],
    messages: list[str],
    stars_kept: str | None,
) -> None:
    get(client, "/books/4")
    response = client.post("/books/4/reviews", data=form)
    assert response.status_code == 400, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None
    assert soup.title.get_text() == "Frankenstein · Book reviews"
    page_form = soup.select_one("form[action='/books/4/reviews']")
    assert page_form is not None, response.text  # the form, to correct
    assert [p.get_text() for p in page_form.select(".error")] == messages
    chosen = page_form.select_one("select[name=stars] option[selected]")
    assert (chosen.get("value") if chosen else None) == stars_kept
    comment = page_form.select_one("textarea[name=comment]")
    assert comment is not None
    assert comment.get_text() == form.get("comment", "")
    assert comment.get("maxlength") == "2000"
    assert calls["summarise_ratings"] == 1  # nothing written, nothing dropped
    with app.app_context():
        assert books.latest_reviews(4) == []


@pytest.mark.parametrize(
    ("method", "book_id"),
    [("GET", 999), ("POST", 999), ("GET", 2**63), ("POST", 2**63)],
)
def test_an_unknown_book_is_the_apps_404(
    client: FlaskClient, method: str, book_id: int
) -> None:
    path = f"/books/{book_id}" + ("/reviews" if method == "POST" else "")
    response = client.open(path, method=method, data={"stars": "5"})
    assert_error_page(response, 404, f"There is no book {book_id}.")


def test_a_host_no_url_can_be_built_for_is_a_plain_text_400(
    client: FlaskClient,
) -> None:
    """No page with links can be built for it: the error comes as plain text."""
    response = client.get("/", headers={"Host": "a..b"})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == (
        "400 Bad Request: The browser (or proxy) sent a request"
        " that this server could not understand."
    )


class BrokenBody:
    """A server's input stream that fails as gunicorn's does on a malformed
    chunked body: with an error of its own, not an OSError."""

    class InvalidChunkSize(Exception):
        pass

    def read(self, size: int = -1) -> bytes:
        raise self.InvalidChunkSize("+0")


def test_a_body_the_server_cannot_read_is_the_apps_400(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/books/3/reviews",
        data=b"stars=5",  # what the client sent; the server cannot read it
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": BrokenBody()},
    )
    assert_error_page(
        response,
        400,
        "The browser (or proxy) sent a request that this server could not understand.",
    )
    with app.app_context():
        assert books.latest_reviews(3) == []


def test_the_body_is_read_up_to_its_content_length_and_no_further(
    app: Flask, client: FlaskClient
) -> None:
    """What a server's stream holds past the body is not part of the form."""
    body = b"stars=4&comment=Read."
    response = client.post(
        "/books/3/reviews",
        data=body,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": io.BytesIO(body + b"+Not+this.")},
    )
    assert response.status_code == 303, response.text
    with app.app_context():
        assert [r["comment"] for r in books.latest_reviews(3)] == ["Read."]


def multipart(*parts: str) -> bytes:
    """A multipart/form-data body, boundary "b", of the given part headers
    (each part's content is "5")."""
    body = "".join(f"--b\r\n{headers}\r\n\r\n5\r\n" for headers in parts)
    return (body + "--b--\r\n").encode()


@pytest.mark.parametrize(
    ("parts", "status"),
    [
        (['Content-Disposition: form-data; name="stars"'], 303),
        (
            [
                'Content-Disposition: form-data; name="stars"',
                "Content-Disposition: form-data",
            ],
            400,
        ),
        (
            [
                'Content-Disposition: form-data; name="stars"',
                'Content-Disposition: form-data; filename="a.txt"',
            ],
            400,
        ),
    ],
    ids=["named", "nameless-field", "nameless-file"],
)
def test_a_multipart_review_needs_a_name_on_every_part(
    app: Flask, client: FlaskClient, parts: list[str], status: int
) -> None:
    response = client.post(
        "/books/8/reviews",
        data=multipart(*parts),
        content_type="multipart/form-data; boundary=b",
    )
    with app.app_context():
        stored = [r["stars"] for r in books.latest_reviews(8)]
    if status == 303:
        assert response.status_code == 303, response.text
        assert stored == [5]
    else:
        assert_error_page(response, 400, "Every part of a multipart form needs a name.")
        assert stored == []


def test_csrf_rejects_a_review_without_the_token_and_accepts_one_with_it(
    config: dict[str, object],
) -> None:
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    response = client.post("/books/5/reviews", data={"stars": "5"})
    assert_error_page(response, 400, "The CSRF token is missing.")
    token = csrf_token(get(client, "/books/5").text)
    response = client.post("/books/5/reviews", data={"stars": "5", "csrf_token": token})
    assert response.status_code == 303, response.text
    with app.app_context():
        assert [(r["stars"], r["comment"]) for r in books.latest_reviews(5)] == [
            (5, "")  # no comment sent: an empty one
        ]


def test_the_longest_review_fits_under_the_body_limit(
    config: dict[str, object],
) -> None:
    """2,000 characters of four UTF-8 bytes each, form-encoded, with the token."""
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    token = csrf_token(get(client, "/books/5").text)
    form = {"stars": "5", "comment": "\N{BOOKS}" * 2000, "csrf_token": token}
    response = client.post("/books/5/reviews", data=form)
    assert response.status_code == 303, response.text
    with app.app_context():
        assert [len(r["comment"]) for r in books.latest_reviews(5)] == [2000]


@pytest.mark.parametrize(
    ("size", "status"), [(25 * 1024, 303), (25 * 1024 + 1, 413)], ids=["at", "over"]
)
def test_a_body_over_25_kib_is_refused_with_the_apps_413(
    app: Flask, client: FlaskClient, size: int, status: int
) -> None:
    form = b"stars=5&comment=Sized.&padding="
    body = form + b"x" * (size - len(form))
    response = client.post(
        "/books/2/reviews", data=body, content_type="application/x-www-form-urlencoded"
    )
    with app.app_context():
        stored = [r["comment"] for r in books.latest_reviews(2)]
    if status == 303:
        assert response.status_code == 303, response.text
        assert stored == ["Sized."]
    else:
        assert_error_page(
            response, 413, "The data value transmitted exceeds the capacity limit."
        )
        assert stored == []


# --- The cap on reviews ---------------------------------------------------------


def test_the_reviews_stop_at_1000(config: dict[str, object]) -> None:
    app = create_app(config)
    client = app.test_client()
    with app.app_context(), books.get_db() as db:  # 999 in one transaction
        db.executemany(
            "INSERT INTO review (book_id, stars, comment) VALUES (1, 3, '')",
            [()] * 999,
        )
    review(client, 2, 4, "The thousandth")
    response = client.post("/books/3/reviews", data={"stars": "5"})
    assert response.status_code == 409, response.text
    assert "The reviews are full: 1,000 at most." in response.text
    assert len(stored_reviews(app)) == 1000


def stored_reviews(app: Flask) -> list[tuple[int, int, str]]:
    """(book, stars, comment) of every review in the database, oldest first."""
    with app.app_context():
        rows = books.get_db().execute(
            "SELECT book_id, stars, comment FROM review ORDER BY id"
        )
        return [tuple(row) for row in rows]


def test_reviews_are_stored_up_to_the_cap_then_refused_with_a_409_and_the_form_as_typed(
    config: dict[str, object], backend: dict[str, str]
) -> None:
    """The cap counts every book's reviews: 3 here."""
    app = create_app({**config, **backend, "REVIEWS_MAX": 3})
    client = app.test_client()
    review(client, 1, 5, "One")
    review(client, 2, 4, "Two")
    review(client, 3, 3, "Three")  # the third of 3: at the cap, stored

    response = client.post(
        "/books/4/reviews", data={"stars": "2", "comment": "typed\nout"}
    )

    assert response.status_code == 409, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None and soup.title.get_text() == (
        "Frankenstein · Book reviews"
    )
    form = soup.select_one("form[action='/books/4/reviews']")
    assert form is not None, response.text
    assert [p.get_text() for p in form.select(".error")] == [
        "The reviews are full: 3 at most."
    ]
    chosen = form.select_one("select[name=stars] option[selected]")
    assert chosen is not None and chosen.get("value") == "2"  # as typed
    comment = form.select_one("textarea[name=comment]")
    assert comment is not None and comment.get_text() == "typed\nout"
    assert "Thank you for reviewing “Frankenstein”" not in response.text
    assert stored_reviews(app) == [(1, 5, "One"), (2, 4, "Two"), (3, 3, "Three")]
    assert "No reviews yet." in get(client, "/books/4").text


def test_reviews_racing_for_the_last_places_never_overfill_the_cap(
    config: dict[str, object], backend: dict[str, str]
) -> None:
    """16 posts at once on one app, as a threaded server runs them: room for 4."""
    app = create_app({**config, **backend, "REVIEWS_MAX": 4})
    start = threading.Barrier(16)

    def race(n: int) -> TestResponse:
        client = app.test_client()
        start.wait()
        return client.post(
            f"/books/{n % 9 + 1}/reviews", data={"stars": 5, "comment": f"racer {n}"}
        )

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(race, range(16)))

    assert sorted(r.status_code for r in responses) == [303] * 4 + [409] * 12
    full = "The reviews are full: 4 at most."
    assert all(full in r.text for r in responses if r.status_code == 409)
    assert len(stored_reviews(app)) == 4


# --- The page that is never cached ----------------------------------------------


def test_your_reviews_is_never_cached_nor_shared(
    app: Flask, client: FlaskClient
) -> None:
    other = app.test_client()
    review(client, 1, 5, "Mine")
    assert "Mine" in get(client, "/mine").text
    assert "You have reviewed no book yet." in get(other, "/mine").text
    review(other, 2, 1, "Theirs")
    review(client, 8, 4, "Mine too")
    assert shown_reviews(get(client, "/mine").text) == [
        ("Middlemarch", 4, "Mine too"),  # newest first
        ("Pride and Prejudice", 5, "Mine"),
    ]
    assert shown_reviews(get(other, "/mine").text) == [("Emma", 1, "Theirs")]


def shown_reviews(page: str) -> list[tuple[str, int, str]]:
    """(book, stars, comment) of each review listed on "Your reviews"."""
    items = BeautifulSoup(page, "html.parser").select("main li")
    return [
        (item.a.get_text(), item.get_text().count("★"), item.span.get_text())
        for item in items
        if item.a is not None and item.span is not None
    ]
