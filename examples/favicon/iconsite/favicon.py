"""The favicon: linked from every page, and answered at /favicon.ico too.

Browsers take the icon from `<link rel="icon">` in templates/base.html. Some
clients (old browsers, feed readers, a browser showing a PDF or JSON) ask for
/favicon.ico at the root instead; this module answers them, in one of two ways.
"""

from __future__ import annotations

from flask import current_app
from flask import Flask
from flask import redirect
from flask import send_from_directory
from flask import url_for
from flask.typing import ResponseReturnValue

# The IANA type. Browsers accept the older image/x-icon as well.
ICO_MIMETYPE = "image/vnd.microsoft.icon"
# Browsers keep a favicon for a long time whatever the headers say; a year
# spares them asking again. Ship a changed icon under a new URL, not this one.
ONE_YEAR = 365 * 24 * 60 * 60


def send_favicon() -> ResponseReturnValue:
    """The icon itself: no extra round trip, cached for a year, with an ETag."""
    static = current_app.static_folder
    assert static is not None  # Flask(__name__) always has one
    return send_from_directory(
        static, "favicon.ico", mimetype=ICO_MIMETYPE, max_age=ONE_YEAR
    )


def redirect_to_static() -> ResponseReturnValue:
    """A permanent redirect to the static file, built per request.

    url_for() here (not once at start-up, as the docs' `redirect_to=` does)
    keeps the URL prefix the app is mounted under.
    """
    return redirect(url_for("static", filename="favicon.ico"), 301)


def init_app(app: Flask) -> None:
    """Route /favicon.ico: serve the file, or with FAVICON_REDIRECT, redirect to it."""
    view = redirect_to_static if app.config["FAVICON_REDIRECT"] else send_favicon
    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=view)
