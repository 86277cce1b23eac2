"""The register view (the pattern) and the members list it redirects to."""

from __future__ import annotations

from flask import abort
from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from . import users
from .forms import FULL
from .forms import RegistrationForm
from .forms import TAKEN

bp = Blueprint("signup", __name__)


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    # Read only the browser's form encoding: Flask-WTF would also read a JSON
    # body or uploaded files, where a list or a file can stand for a string.
    form = RegistrationForm(request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        try:
            users.add_user(form.username.data, form.email.data, form.password.data)
        except users.UsernameTaken:
            # Taken between the form's check and the INSERT: same answer.
            form.username.errors.append(TAKEN.format(form.username.data))
        except users.Full:
            # No room (USERS_MAX): a 409, the form as typed, the message above it.
            form.form_errors.append(FULL.format(current_app.config["USERS_MAX"]))
            return render_template("register.html", form=form), 409
        else:
            flash(f"Welcome, {form.username.data}! You are registered.")
            # 303: the browser follows with a GET, so a reload never posts twice.
            return redirect(url_for("signup.index"), 303)
    # A form sent back with errors is a 400; the first visit is a 200.
    status = 400 if form.errors else 200
    return render_template("register.html", form=form), status


@bp.get("/")
def index() -> ResponseReturnValue:
    """One page of the members (?page=2), newest first."""
    per_page: int = current_app.config["USERS_PER_PAGE"]
    pages = max(1, -(-users.count() // per_page))  # no members is one empty page
    raw = request.args.get("page", "1")
    # Digits only, and few: int() of thousands of digits is a ValueError.
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0
    if not 0 < number <= pages:
        abort(404, f"There is no such page of members: the last is page {pages}.")
    names = users.usernames(per_page, (number - 1) * per_page)
    return render_template("index.html", usernames=names, number=number, pages=pages)
