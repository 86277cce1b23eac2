"""Caching with Flask-Caching: book reviews with cached search pages and summaries."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import books
from . import errors
from . import views
from .body_errors import BodyErrorsAreBadRequests

csrf = CSRFProtect()
MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        DATABASE=os.path.join(app.instance_path, "book_reviews.sqlite"),
        # The biggest review: 2,000 characters of up to 4 UTF-8 bytes each,
        # form-encoded as %XX (24,000 bytes), with its stars and CSRF token.
        MAX_CONTENT_LENGTH=25 * 1024,
        # Anyone may post a review, so the table has a cap. Its one text field,
        # the comment, is at most 2,000 characters (a CHECK in books.SCHEMA):
        # so the cap bounds the bytes too, under 8 MB of comments in UTF-8.
        REVIEWS_MAX=1000,
        SESSION_COOKIE_SAMESITE="Lax",
        # In this process's memory: right for one process. With several
        # workers, each would cache (and drop) on its own: use Redis there,
        # FLASK_CACHE_TYPE=RedisCache and REDIS_URL=redis://host:6379/0.
        CACHE_TYPE="SimpleCache",
        CACHE_REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # This app's Redis keys start with it, and cache.clear() deletes only
        # those, not whatever else shares the database (a Celery queue...).
        CACHE_KEY_PREFIX="book_reviews:",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_CACHE_TYPE, ...
    else:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(MISSING_KEY)

    os.makedirs(app.instance_path, exist_ok=True)
    errors.init_app(app)  # first: its guard must run before CSRFProtect's check
    csrf.init_app(app)
    views.cache.init_app(app)
    books.init_app(app)
    app.register_blueprint(views.bp)
    # Outermost, so every reader of the body sees the server's errors as OSError.
    app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app
