"""Error pages in the journal's layout, and the guard its forms need."""

from __future__ import annotations

from flask import abort
from flask import Flask
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadHost
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import SecurityError


def refuse_nameless_parts() -> None:
    """Answer 400 to a multipart part with no name.

    Werkzeug files such a part under the key None (pallets/werkzeug#3032), and
    Flask-WTF's CSRF check then fails on None.endswith(): a 500 without this.
    """
    if request.mimetype == "multipart/form-data" and (
        None in request.form or None in request.files
    ):
        abort(400, "Every part of a multipart form needs a name.")


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    # A missing CSRF token (flask_wtf's CSRFError) is a BadRequest: it lands here too.
    status = error.code or 500
    # Keep what the error says in its headers (Allow on a 405).
    headers = dict(error.get_headers())
    if isinstance(request.routing_exception, BadHost | SecurityError):
        # No URL can be built for this Host header, so no page with links either.
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return f"{status} {error.name}: {error.description}", status, headers
    return render_template("error.html", error=error), status, headers


def init_app(app: Flask) -> None:
    app.before_request(refuse_nameless_parts)
    app.register_error_handler(HTTPException, handle_http_error)
