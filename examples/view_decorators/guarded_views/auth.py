"""Log in and out: what @login_required relies on (g.user, the login page)."""

from __future__ import annotations

import secrets
import sqlite3

from flask import Blueprint
from flask import flash
from flask import Flask
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from .db import get_db

bp = Blueprint("auth", __name__)

DEMO_USER = "ada"
DEMO_PASSWORD = "analytical-engine"  # noqa: S105 - a demo, shown on the login page
DEMO_HASH = generate_password_hash(DEMO_PASSWORD)  # once: scrypt is slow on purpose
# Checked for unknown names too, so a wrong name takes as long as a wrong password.
NO_SUCH_USER = generate_password_hash(secrets.token_urlsafe())
WRONG_LOGIN = "Wrong user name or password."


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, otherwise None: no open redirect.

    Only a path that starts with exactly one "/" passes. Browsers read
    "//evil.example" and "/\\evil.example" as another host, drop tabs and
    newlines ("/\\t/evil.example"), and run "javascript:" URLs.
    """
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return None
    return target if target.isprintable() else None


def init_app(app: Flask) -> None:
    """Add the demo user to the users table, unless a start before did."""
    with app.app_context():
        db = get_db()
        db.execute(
            "INSERT OR IGNORE INTO users (name, password_hash) VALUES (?, ?)",
            (DEMO_USER, DEMO_HASH),
        )
        db.commit()


def find_user(name: str) -> sqlite3.Row | None:
    """The user's row in the users table, or None if there is no such user."""
    query = "SELECT password_hash, session_version FROM users WHERE name = ?"
    row: sqlite3.Row | None = get_db().execute(query, (name,)).fetchone()
    return row


@bp.before_app_request
def load_user() -> None:
    """g.user: the session's user, unless they have logged out since it began."""
    name = session.get("user")
    user = find_user(name) if isinstance(name, str) else None
    current = user is not None and session.get("version") == user["session_version"]
    g.user = name if current else None


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    # `next` arrives in the query string, then travels in a hidden field.
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_login(target)
    name = request.form.get("username", "")
    password = request.form.get("password", "")
    user = find_user(name)
    stored = user["password_hash"] if user else NO_SUCH_USER
    if not check_password_hash(stored, password) or user is None:
        return render_login(target, name=name, error=WRONG_LOGIN), 400
    session.clear()  # nothing from before the login carries over
    session["user"] = name
    session["version"] = user["session_version"]
    flash(f"Logged in as {name}.")
    # `target` is relative to the app: add the prefix it is mounted under.
    destination = request.script_root + target if target else url_for("pages.index")
    return redirect(destination, 303)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    # POST with a CSRF token: a link or an <img> on another site cannot log
    # a visitor out.
    if g.user is not None:
        # Ends this user's sessions in every browser and worker, and any copy
        # of the cookie. One statement: a slow logout cannot write back an
        # older version, which would bring old cookies back to life.
        db = get_db()
        db.execute(
            "UPDATE users SET session_version = session_version + 1 WHERE name = ?",
            (g.user,),
        )
        db.commit()
    session.clear()
    flash("Logged out.")
    return redirect(url_for("pages.index"), 303)


def render_login(target: str | None, name: str = "", error: str = "") -> str:
    return render_template(
        "auth/login.html",
        next=target or "",
        name=name,
        error=error,
        demo=(DEMO_USER, DEMO_PASSWORD),
    )
