"""The pattern: one catch-all route serves the app's page for every client route.

The browser's script (static/app/app.js) reads the path and shows the view;
the server only has to answer each deep link with the same page. What is no
page must not get it: an unknown /api/ path is the API's JSON 404, a file
that is missing is a 404, never index.html with a 200.
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
    if path == "api" or path.startswith("api/"):
        abort(404)  # errors.py answers it as JSON, like the rest of /api/
    if "." in path.rsplit("/", 1)[-1]:
        abort(404)  # a file name (app.js, favicon.ico): no page would help
    # A template, not a static file, so it can tell the script where the app
    # is mounted. no-cache: after a deploy, the browser asks again and gets
    # the page that names the new scripts.
    return render_template("index.html"), {"Cache-Control": "no-cache"}
