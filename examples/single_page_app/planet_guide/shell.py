"""The pattern: one catch-all route serves the app's page for every client route.

The browser's script (static/app/app.js) reads the path and shows the view;
the server only has to answer each deep link with the same page. What is no
page must not get it: /api and /static in any letter case, with or without
more after them, and a path whose last segment names a file are 404s (JSON
under /api, errors.py), never index.html with a 200.
"""

from __future__ import annotations

from flask import abort
from flask import Blueprint
from flask import render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("shell", __name__)


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def index(path: str) -> ResponseReturnValue:
    """The page behind every client route: /, /planets/mars, /about ..."""
    if path.split("/")[0].lower() in {"api", "static"}:
        abort(404)  # the API's and static files' prefixes, in any case: no page
    if "." in path.rstrip("/").split("/")[-1]:
        abort(404)  # a file name (favicon.ico, mars.json/): no page would help
    # A template, not a static file, so it can tell the script where the app
    # is mounted. no-cache: after a deploy, the browser asks again and gets
    # the page that names the new scripts.
    return render_template("index.html"), {"Cache-Control": "no-cache"}
