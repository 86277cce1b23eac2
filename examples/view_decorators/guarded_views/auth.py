"""Log in and out: what @login_required relies on (g.user, the login page)."""

from __future__ import annotations

import secrets

from flask import Blueprint
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

bp = Blueprint("auth", __name__)

# A demo user store, hashed as a real one would be (werkzeug's scrypt with a
# salt); a real app keeps the hashes in its database, never the passwords.
DEMO_USER = "ada"
DEMO_PASSWORD = "analytical-engine"  # noqa: S105 - a demo, shown on the login page
USERS = {DEMO_USER: generate_password_hash(DEMO_PASSWORD)}
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
    if "\\" in target or not target.isprintable():
        return None
    return target


@bp.before_app_request
def load_user() -> None:
    name = session.get("user")
    g.user = name if isinstance(name, str) and name in USERS else None


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    # `next` arrives in the query string, then travels in a hidden field.
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_login(target)
    name = request.form.get("username", "")
    password = request.form.get("password", "")
    stored = USERS.get(name, NO_SUCH_USER)
    if not check_password_hash(stored, password) or name not in USERS:
        return render_login(target, name=name, error=WRONG_LOGIN), 400
    session.clear()  # nothing from before the login carries over
    session["user"] = name
    flash(f"Logged in as {name}.")
    # `target` is relative to the app: add the prefix it is mounted under.
    destination = request.script_root + target if target else url_for("pages.index")
    return redirect(destination, 303)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    # POST with a CSRF token: a link or an <img> on another site cannot log
    # a visitor out.
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
