"""Using SQLite 3 with Flask: a notes app with one connection per request."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import db
from . import errors
from . import notes

csrf = CSRFProtect()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        # Data lives in the instance folder, outside the source tree.
        DATABASE=os.path.join(app.instance_path, "notes.sqlite"),
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_DATABASE
    if test_config is not None:
        app.config.from_mapping(test_config)
    if not app.config["SECRET_KEY"]:
        if not (app.debug or app.testing):
            raise RuntimeError(
                "Set a secret key: export FLASK_SECRET_KEY=$(python -c "
                "'import secrets; print(secrets.token_hex())'), or run with --debug."
            )
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - development only

    os.makedirs(app.instance_path, exist_ok=True)
    csrf.init_app(app)
    db.init_app(app)  # also creates the tables if they are missing
    app.register_blueprint(notes.bp)
    errors.init_app(app)
    return app
