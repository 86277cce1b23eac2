"""Deferred request callbacks: before_request decides the visitor's id, and
after_this_request puts it in a cookie on the response, once that exists."""

from __future__ import annotations

import re
import secrets

from flask import after_this_request
from flask import Flask
from flask import g
from flask import request
from flask import Response

COOKIE_NAME = "visitor_id"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60  # one year, in seconds
# What new_visitor_id() makes: 22 URL-safe characters, 128 random bits.
VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def new_visitor_id() -> str:
    return secrets.token_urlsafe(16)


def identify_visitor() -> None:
    """Every request gets g.visitor_id: the cookie's, or a new one that the
    response will carry. Runs before the view, when no response exists yet."""
    visitor_id = request.cookies.get(COOKIE_NAME, "")
    g.new_visitor = not VISITOR_ID.fullmatch(visitor_id)  # none, or not ours
    if not g.new_visitor:
        g.visitor_id = visitor_id
        return
    g.visitor_id = visitor_id = new_visitor_id()

    # Registered for this request only: it runs on whatever response ends it,
    # the view's or an error page's, and the next request sends the cookie.
    @after_this_request
    def remember_visitor(response: Response) -> Response:
        response.set_cookie(
            COOKIE_NAME,
            visitor_id,
            max_age=COOKIE_MAX_AGE,
            path=cookie_path(),
            secure=request.is_secure,  # sent back over HTTPS only, where used
            httponly=True,  # no script on the page can read it
            samesite="Lax",  # not sent on other sites' subrequests and POSTs
        )
        return response


def cookie_path() -> str:
    """The app's root: "/", or the prefix it is mounted under (the gallery's)."""
    return request.script_root + "/"


def init_app(app: Flask) -> None:
    app.before_request(identify_visitor)
