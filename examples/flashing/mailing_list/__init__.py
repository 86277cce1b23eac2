"""Message flashing: a mailing list that reports each outcome on the next page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import errors
from . import views
from .body_errors import BodyErrorsAreBadRequests
from .subscribers import MailingList

MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)

csrf = CSRFProtect()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        # The biggest form is one email address and a CSRF token.
        MAX_CONTENT_LENGTH=4 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
        MAILING_LIST_CAPACITY=10_000,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_...
    else:
        app.config.from_mapping(test_config)
    # The key signs the session cookie, where flashed messages wait. Unset, it is None.
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    # FLASK_SECRET_KEY=12345 is read as JSON: an int is no key either.
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    # The list itself lives in memory: the demo's data, not the pattern.
    app.extensions["mailing_list"] = MailingList(app.config["MAILING_LIST_CAPACITY"])
    app.register_blueprint(views.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
