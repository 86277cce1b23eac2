"""SQLAlchemy in Flask: one journal, stored in any of four ways (DB_STYLE)."""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import core
from . import declarative
from . import errors
from . import extension
from . import imperative
from . import views
from .body_errors import BodyErrorsAreBadRequests
from .store import EntryStore

# The four ways of the docs page, each a module with the same model and the
# same methods (store.EntryStore), so the views work with any of them.
STYLES: dict[str, Callable[[Flask], EntryStore]] = {
    "flask_sqlalchemy": extension.FlaskSQLAlchemyStore,
    "declarative": declarative.DeclarativeStore,
    "imperative": imperative.ImperativeStore,
    "core": core.CoreStore,
}
MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)

csrf = CSRFProtect()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        DB_STYLE="flask_sqlalchemy",
        # Any SQLAlchemy URL; by default a SQLite file in the instance folder.
        DATABASE_URL="sqlite:///" + os.path.join(app.instance_path, "journal.sqlite"),
        # The largest valid form: 10,200 characters of title and body, each at
        # most 12 bytes once URL-encoded (a 4-byte character), and the token.
        MAX_CONTENT_LENGTH=128 * 1024,
        # Anyone may write, so at most ENTRIES_MAX entries: with titles of 200 and
        # bodies of 10,000 characters at most (views.read_form), 4 bytes each in
        # UTF-8, 41 MB of text in all.
        ENTRIES_MAX=1_000,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_DATABASE_URL ...
    else:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)
    style = app.config["DB_STYLE"]
    if not isinstance(style, str) or style not in STYLES:
        raise RuntimeError(
            f"Set DB_STYLE to one of {', '.join(STYLES)}, not {style!r}."
        )

    os.makedirs(app.instance_path, exist_ok=True)
    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    app.extensions["journal"] = STYLES[style](app)  # also creates missing tables
    app.register_blueprint(views.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
