"""User pages: imported only when a request first needs one of them."""

from __future__ import annotations

from flask import abort
from flask import render_template
from flask.typing import ResponseReturnValue

USERS = {
    "ada": (
        "Ada Lovelace",
        "Published the first program, for an engine not yet built.",
    ),
    "grace": ("Grace Hopper", "Wrote the first compiler."),
    "alan": ("Alan Turing", "Asked whether machines can think."),
}


def user(username: str | None = None) -> ResponseReturnValue:
    """The list of users at /users/, one user's page at /users/<username>."""
    if username is None:
        return render_template("users.html", users=USERS)
    if username not in USERS:
        abort(404, f"There is no user “{username}”.")
    name, bio = USERS[username]
    return render_template("user.html", name=name, bio=bio)
