"""The demo views, each wearing the decorators of decorators.py.

@route is always the outermost decorator: it registers whatever the others
return. @login_required goes above the rest, so it runs first.
"""

from __future__ import annotations

from datetime import datetime
from datetime import UTC
from typing import Any

from flask import abort
from flask import Blueprint
from flask import Flask
from flask import g
from flask import redirect
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from werkzeug.routing import Rule

from .decorators import cached
from .decorators import login_required
from .decorators import templated

bp = Blueprint("pages", __name__)

PRIMES_MAX = 2_000_000  # bounds the work (and memory) one request can ask for
PRIMES_DEFAULT = 100
CACHE_SECONDS = 60


@bp.get("/")
@templated()  # renders pages/index.html, from the endpoint "pages.index"
def index() -> dict[str, Any]:
    return {"cache_seconds": CACHE_SECONDS}


@bp.get("/members")
@login_required
@templated()  # pages/members.html
def members() -> dict[str, Any]:
    return {"user": g.user}


@bp.get("/primes")
@templated("primes.html")  # a name of its own instead of pages/primes.html
def primes() -> ResponseReturnValue | None:
    if "below" not in request.args:
        # Not a dict: @templated hands the redirect on unchanged.
        return redirect(url_for(".primes", below=PRIMES_DEFAULT), 302)
    below = read_below()
    found = primes_below(below)
    return {"below": below, "count": len(found), "last": found[-10:]}


@bp.get("/api/primes")
@cached(timeout=CACHE_SECONDS)  # the same for everyone: safe to share
def api_primes() -> ResponseReturnValue:
    below = read_below(PRIMES_DEFAULT)
    found = primes_below(below)
    return {
        "below": below,
        "count": len(found),
        "last": found[-10:],
        # Stays the same while the answer comes from the cache.
        "computed_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }


def init_app(app: Flask) -> None:
    """The endpoint decorator: the URL map names an endpoint, a view answers it.

    Handy with werkzeug's own routing tools (Rule options, Submount,
    EndpointPrefix) that @route does not take.
    """
    app.url_map.add(Rule("/about", endpoint="about", methods=["GET"]))

    @app.endpoint("about")
    @templated()  # about.html: the endpoint has no dots
    def about() -> None:
        """Nothing to pass: @templated renders with no values."""


def read_below(default: int | None = None) -> int:
    """The `below` query value, or a 400 that says what is wrong with it."""
    raw = request.args.get("below")
    if raw is None and default is not None:
        return default
    if raw and raw.isascii() and raw.isdigit() and 2 <= int(raw) <= PRIMES_MAX:
        return int(raw)
    abort(400, f"Give ?below= a whole number from 2 to {PRIMES_MAX:,}.")


def primes_below(n: int) -> list[int]:
    """The primes under n (Eratosthenes): slow enough to be worth caching."""
    sieve = bytearray([1]) * n
    sieve[:2] = b"\x00\x00"
    for i in range(2, int(n**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytes(len(range(i * i, n, i)))
    return [i for i, is_prime in enumerate(sieve) if is_prime]
