"""The JSON API the three pages call: POST {"a": 2, "b": 3} to /api/add."""

from __future__ import annotations

from flask import abort
from flask import Blueprint
from flask import request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import HTTPException

bp = Blueprint("api", __name__, url_prefix="/api")

# Beyond 2**53 a JavaScript number is no longer exact: stay well inside it.
LIMIT = 10**12


@bp.post("/add")
def add() -> ResponseReturnValue:
    """Add two numbers sent as JSON; answer with JSON, errors included."""
    request.get_data()  # first: a body over MAX_CONTENT_LENGTH is a 413, of any type
    if not request.is_json:
        abort(415, "Send the numbers as JSON, with Content-Type: application/json.")
    try:
        data = request.get_json()
    except (BadRequest, RecursionError):  # not JSON, or nested too deep to parse
        abort(400, "The request body is not valid JSON.")
    if not isinstance(data, dict):
        abort(400, 'Send a JSON object such as {"a": 2, "b": 3}.')
    a = number(data, "a")
    b = number(data, "b")
    return {"a": a, "b": b, "sum": a + b}


def number(data: dict[str, object], name: str) -> int | float:
    """The field `name` as a number within LIMIT, or a 400 that says why."""
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        abort(400, f"{name} must be a number.")  # True is an int to Python
    # Python's JSON parser also reads NaN and Infinity: NaN fails any comparison.
    if not -LIMIT <= value <= LIMIT:
        abort(400, f"{name} must be between -{LIMIT:,} and {LIMIT:,}.")
    return value


def json_error(error: HTTPException) -> ResponseReturnValue:
    """An error at /api or under it as {"error", "message"}, which the pages
    show; elsewhere Flask's own error page."""
    if request.path != "/api" and not request.path.startswith("/api/"):
        return error
    # Keep what the error says in its headers (Allow on a 405), not its HTML type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    body = {"error": error.name, "message": error.description}
    return body, error.code or 500, headers
