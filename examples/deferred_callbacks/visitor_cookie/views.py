"""The page that shows the visitor's id, and a form to forget it."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from .visitor import COOKIE_NAME
from .visitor import cookie_path

bp = Blueprint("visits", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    # g.visitor_id is set even on a first visit, before the cookie exists.
    return render_template("index.html")


@bp.post("/forget")
def forget() -> ResponseReturnValue:
    response = redirect(url_for("visits.index"), 303)
    if g.new_visitor:
        # Nothing to forget; identify_visitor's callback sends a first id.
        flash("Your browser sent no visitor id, so there was nothing to forget.")
    else:
        response.delete_cookie(
            COOKIE_NAME,
            path=cookie_path(),
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
        flash(f"Forgot visitor id {g.visitor_id}.")
    return response
