"""The portal's site: HTML pages, and a name kept in the session the API reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask import flash
from flask import Flask
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect

from . import errors

csrf = CSRFProtect()
bp = Blueprint("frontend", __name__)
NAME_MAX = 50
MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


def create_frontend(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The site, configured."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SITE_NAME="Portal",
        # The biggest form: 50 characters of up to 12 bytes each (4 in UTF-8,
        # each percent-encoded as 3) and a CSRF token of about 100: under 1 KiB.
        MAX_CONTENT_LENGTH=1024,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_SITE_NAME
    else:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    app.register_blueprint(bp)
    return app


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html", name_max=NAME_MAX)


@bp.post("/name")
def set_name() -> ResponseReturnValue:
    name = request.form.get("name", "").strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        error = f"Give a name of 1 to {NAME_MAX} printable characters."
        return render_template("index.html", name_max=NAME_MAX, error=error), 400
    session["name"] = name
    flash(f"Hello, {name}. The API knows you now too.")
    return redirect(url_for(".index"), 303)  # 303: a reload does not post again
