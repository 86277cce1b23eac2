"""Three streamed responses: a generator, a template, a generator with context.

The rule for all three: the status and the headers (and so the session
cookie) go out before the first chunk of the body, so the view settles them
and checks its input before it returns the stream.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from flask import abort
from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from flask import Response
from flask import session
from flask import stream_template
from flask import stream_with_context
from flask import url_for
from flask.typing import ResponseReturnValue
from markupsafe import escape

from . import sources

bp = Blueprint("streams", __name__)

MAX_ROWS = 1_000_000  # about 24 MB of CSV
MAX_EVENTS = 50
MAX_NAME = 100
ROWS_PER_CHUNK = 1000  # one write of about 24 KB, not one per row
# Proxies such as nginx buffer a response before sending it on; this header
# asks them not to, so each chunk reaches the client when it is ready.
NO_BUFFERING = {"X-Accel-Buffering": "no"}


@bp.get("/report.csv")
def report() -> ResponseReturnValue:
    count = count_arg("rows", default=10_000, maximum=MAX_ROWS)

    # A plain generator: it needs nothing from the request (`count` is read
    # above), so it needs no request context while it runs.
    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "item", "price"])
        for n, row in enumerate(sources.rows(count), start=1):
            writer.writerow(row)
            if n % ROWS_PER_CHUNK == 0:
                yield take(buffer)
        if buffer.tell():
            yield take(buffer)

    response = Response(generate(), mimetype="text/csv", headers=NO_BUFFERING)
    response.headers.set("Content-Disposition", "attachment", filename="report.csv")
    return response


@bp.get("/timeline")
def timeline() -> ResponseReturnValue:
    count = count_arg("events", default=10, maximum=MAX_EVENTS)
    # stream_template renders piece by piece, keeping the request context
    # (url_for, request, session) until the last piece is sent.
    body = stream_template(
        "timeline.html",
        events=sources.events(count, current_app.config["TIMELINE_DELAY"]),
        count=count,
    )
    return Response(body, headers=NO_BUFFERING)


@bp.get("/greeting")
def greeting() -> ResponseReturnValue:
    # Check input here: once streaming, the 200 has been sent and an error
    # can no longer become a 400 page.
    if len(request.args.get("name", "")) > MAX_NAME:
        abort(400, f"Keep the name to {MAX_NAME} characters.")
    # Change the session in the view, so the cookie (and Vary: Cookie) goes
    # out with the headers; the generator may only read it.
    session["greetings"] = session.get("greetings", 0) + 1

    def generate() -> Iterator[str]:
        home = url_for("streams.index")
        css = url_for("static", filename="style.css")
        yield (
            '<!doctype html>\n<html lang="en">\n<meta charset="utf-8">\n'
            "<title>Greeting · Streaming</title>\n"
            f'<link rel="stylesheet" href="{css}">\n'
            f'<body>\n<header><a href="{home}">Streaming</a></header>\n<main>\n'
        )
        # No Jinja here to escape for us: escape by hand, or <script> runs.
        yield f"<h1>Hello {escape(request.args.get('name') or 'stranger')}!</h1>\n"
        yield f"<p>Greeting number {session['greetings']} in this session.</p>\n"
        yield f'<p><a href="{home}">Back</a></p>\n</main>\n</body>\n</html>\n'

    # The request is over by the time the server iterates the body: without
    # stream_with_context, request, session and url_for would raise in there.
    return Response(stream_with_context(generate()), headers=NO_BUFFERING)


@bp.teardown_request
def log_client_gone(error: BaseException | None) -> None:
    """Note a client that left before the end of a stream.

    Flask runs teardown functions when the view returns and, for a stream kept
    by stream_with_context, again when that stream ends, however it ends
    (since Flask 3.1.2; before, only at the end). A client that goes away
    makes the server close the response: the generator stops at its yield
    with GeneratorExit, and that is the error the teardown sees. It is the
    place to release whatever a stream holds.
    """
    if isinstance(error, GeneratorExit):
        current_app.logger.info("%s: the client went away mid-stream", request.path)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html", max_rows=MAX_ROWS)


DIGITS = re.compile(r"[0-9]{1,9}")


def count_arg(name: str, default: int, maximum: int) -> int:
    """A whole number from the query string, 1 to `maximum`, or a 400 page."""
    value = request.args.get(name, str(default))
    if not DIGITS.fullmatch(value) or not 1 <= int(value) <= maximum:
        abort(400, f"“{name}” must be a whole number from 1 to {maximum:,}.")
    return int(value)


def take(buffer: io.StringIO) -> str:
    """The buffer's text, leaving it empty for the next rows."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
