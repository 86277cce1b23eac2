"""Three view decorators. Each keeps the view's name with functools.wraps:
Flask names an endpoint after its function, so without wraps every view
would be called "wrapped" and the second one would fail to register."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import NamedTuple
from typing import ParamSpec
from urllib.parse import quote

from flask import current_app
from flask import flash
from flask import Flask
from flask import g
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]


def login_required(view: Callable[P, ResponseReturnValue]) -> View[P]:
    """Send a visitor who is not logged in to the login page, with a way back."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if g.user is None:
            flash("Log in to see that page.")
            # 303: the login page is fetched with GET, even after a POST.
            return redirect(url_for("auth.login", next=this_page()), 303)
        return view(*args, **kwargs)

    return wrapped


def this_page() -> str:
    """This request's path and query, relative to the app: a `next` login accepts.

    Not request.url: an absolute URL would name a host, and the login view
    follows only paths on this site.
    """
    query = request.query_string.decode("latin-1")  # any bytes, never an error
    return quote(request.path) + (f"?{query}" if query else "")


def cached(
    timeout: float = 5 * 60,
) -> Callable[[Callable[P, ResponseReturnValue]], View[P]]:
    """Keep a view's 200 answers for `timeout` seconds, per path and query string.

    Only for answers that are the same for every visitor: a page showing the
    user's name or the session's CSRF token must never be served to another.
    """

    def decorator(view: Callable[P, ResponseReturnValue]) -> View[P]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            if request.method not in ("GET", "HEAD"):
                return view(*args, **kwargs)
            cache: TimedCache = current_app.extensions["view_cache"]
            key = f"{request.path}?{request.query_string.decode('latin-1')}"
            hit = cache.get(key)
            if hit is None:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200 or response.is_streamed:
                    return response
                hit = Answer(response.get_data(), list(response.headers.items()))
                cache.set(key, hit, timeout)
            # A new response each time: after_request functions and the
            # session cookie change it, and that must not end up in the cache.
            return current_app.response_class(hit.body, 200, hit.headers)

        return wrapped

    return decorator


def templated(
    template: str | None = None,
) -> Callable[[Callable[P, ResponseReturnValue | None]], View[P]]:
    """Render the dict a view returns with `template`, by default the endpoint's
    name with dots as slashes: "pages.members" renders "pages/members.html".

    None renders with no values; anything else (a redirect, a (body, status)
    tuple, a Response) is returned unchanged.
    """

    def decorator(view: Callable[P, ResponseReturnValue | None]) -> View[P]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            context = view(*args, **kwargs)
            if context is None:
                context = {}
            elif not isinstance(context, dict):
                return context
            name = template or f"{request.endpoint or ''}".replace(".", "/") + ".html"
            return render_template(name, **context)

        return wrapped

    return decorator


# --- The cache behind @cached -------------------------------------------------


class Answer(NamedTuple):
    body: bytes
    headers: list[tuple[str, str]]


class TimedCache:
    """A small in-process cache: entries expire, and the oldest go when it is full.

    Enough to show the decorator. A real project uses Flask-Caching, whose
    Redis or Memcached backends share one cache between server processes.
    """

    def __init__(
        self, max_entries: int = 256, clock: Callable[[], float] = time.monotonic
    ) -> None:
        # Keys come from query strings, which visitors choose: keep a bound.
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()  # a threaded server serves requests at once

    def get(self, key: str) -> Any:
        """The value stored under `key`, or None if there is none or it expired."""
        with self._lock:
            expires, value = self._entries.get(key, (0.0, None))
            if value is not None and expires <= self.clock():
                del self._entries[key]
                return None
            return value

    def set(self, key: str, value: Any, timeout: float) -> None:
        with self._lock:
            now = self.clock()
            for old in [
                k for k, (expires, _) in self._entries.items() if expires <= now
            ]:
                del self._entries[old]
            while len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]  # the oldest
            self._entries[key] = (now + timeout, value)


def init_app(app: Flask) -> None:
    """Give the app its own cache: apps in one process (tests) share nothing."""
    app.extensions["view_cache"] = TimedCache()
