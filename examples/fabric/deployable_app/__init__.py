"""Deploying with Fabric: the app that `fab deploy` puts on a server.

On the server the WSGI file that `fab bootstrap` wrote sets
DEPLOYABLE_APP_SETTINGS to the server's settings file, and create_app() reads
it with from_envvar(): the configuration stays on the server, the code in
the wheel, and one wheel runs anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version
from typing import Any

from flask import Flask

from . import errors
from . import views

# The variable that names the settings file: `fab bootstrap` writes the file
# and sets the variable in the WSGI file.
SETTINGS_VARIABLE = "DEPLOYABLE_APP_SETTINGS"

try:
    __version__ = version("deployable-app")  # from pyproject.toml, once installed
except PackageNotFoundError:  # run from the source folder
    __version__ = "not installed"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        SITE_NAME="Deployable app",
        # The app takes no uploads or forms: 16 KiB is plenty.
        MAX_CONTENT_LENGTH=16 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if os.environ.get(SETTINGS_VARIABLE):
        # Set but unreadable is an error at start-up, not a silent default.
        app.config.from_envvar(SETTINGS_VARIABLE)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_SITE_NAME
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
        app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
    if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
        raise RuntimeError(errors.MISSING_KEY)

    app.config["VERSION"] = __version__
    errors.init_app(app)
    app.register_blueprint(views.bp)
    return app
