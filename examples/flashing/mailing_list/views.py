"""Subscribe and unsubscribe: each outcome is flashed, then the browser is redirected.

flash() stores a message in the session; the next page that calls
get_flashed_messages() (templates/base.html) takes it out and shows it, once.
"""

from __future__ import annotations

import re
from typing import cast

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from .subscribers import MailingList

bp = Blueprint("mailing_list", __name__)


@bp.post("/subscribe")
def subscribe() -> ResponseReturnValue:
    email, problem = read_email()
    if problem:
        # No redirect, so no flash: the form comes back at once, with the reason.
        return render_template(
            "index.html", count=count(), email=email, problem=problem
        ), 400
    outcome = mailing_list().add(email)
    if outcome == "added":
        flash(f"Subscribed {email}.", "success")
    elif outcome == "already there":
        flash(f"{email} is already on the list.", "warning")
    else:
        flash("The list is full: no new subscriptions for now.", "error")
    # Post/redirect/get: the message rides along in the session, and reloading
    # the page it lands on does not send the form again.
    return redirect(url_for("mailing_list.index"), 303)


@bp.post("/unsubscribe")
def unsubscribe() -> ResponseReturnValue:
    email, problem = read_email()
    if problem:
        return render_template("unsubscribe.html", email=email, problem=problem), 400
    if not mailing_list().remove(email):
        flash(f"{email} is not on the list.", "error")
        return redirect(url_for("mailing_list.unsubscribe_form"), 303)
    flash(f"Unsubscribed {email}.")  # the default category, "message"
    # A message waits for the next page, whichever page that is.
    return redirect(url_for("mailing_list.index"), 303)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html", count=count())


@bp.get("/unsubscribe")
def unsubscribe_form() -> ResponseReturnValue:
    return render_template("unsubscribe.html")


# Messages wait in the session cookie until a page shows them. A client that
# posts again and again without loading a page would pile them up until the
# cookie passed the 4 KB that browsers keep, and a browser drops a cookie that
# big without a word: the messages, the CSRF token and all. Keep the newest few.
MAX_WAITING = 5


@bp.after_app_request
def keep_few_waiting(response: Response) -> Response:
    waiting = session.get("_flashes")  # where flash() puts them
    if waiting is not None and len(waiting) > MAX_WAITING:
        session["_flashes"] = waiting[-MAX_WAITING:]
    return response


# --- The demo around it ---------------------------------------------------------

EMAIL_MAX = 254  # the longest address that SMTP can deliver to
# An address without quoting or comments: RFC 5322's atoms, then a dotted domain.
EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)


def read_email() -> tuple[str, str | None]:
    """The submitted address, lower-cased, and what is wrong with it, if anything."""
    email = request.form.get("email", "").strip().lower()
    if len(email) > EMAIL_MAX:
        return email[
            :EMAIL_MAX
        ], f"An email address has at most {EMAIL_MAX} characters."
    if not EMAIL.fullmatch(email):
        return email, "Enter an email address such as name@example.com."
    return email, None


def mailing_list() -> MailingList:
    return cast(MailingList, current_app.extensions["mailing_list"])


def count() -> int:
    return len(mailing_list())
