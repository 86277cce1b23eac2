"""MongoDB with MongoEngine: movies with an embedded IMDb record, filtered lists,
a form and a JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import api
from . import db
from . import errors
from . import views
from .body_errors import BodyErrorsAreBadRequests
from .finite_json import FiniteJSONProvider

csrf = CSRFProtect()

MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.json = FiniteJSONProvider(app)  # NaN, Infinity, 1e1000000: a 400
    app.config.from_mapping(
        SECRET_KEY=None,
        # mongodb://127.0.0.1:27017/movies, from FLASK_MONGODB_URI. None: an
        # in-memory mongomock database, so the example runs with no server.
        MONGODB_URI=None,
        # How long a request waits for an unreachable server before it is a
        # 503; pymongo's own default is 30 seconds.
        MONGODB_TIMEOUT_MS=3000,
        DEMO_MOVIES=True,  # fill an empty database with a few movies
        MAX_CONTENT_LENGTH=16 * 1024,  # one movie's fields
        # Anyone may add movies: at most this many, and as each field has a
        # maximum length (10 KB a movie), at most 10 MB. Then adding is a 409.
        MOVIES_MAX=1000,
        MOVIES_PER_PAGE=20,  # on the list page, and in the API's list
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_MONGODB_URI
    else:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    # The API takes only JSON (get_json() refuses other bodies with a 415),
    # which another site's page cannot send without CORS' consent: no token.
    csrf.exempt(api.bp)
    db.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
