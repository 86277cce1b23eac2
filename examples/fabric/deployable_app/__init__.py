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
    app = Flask(__name__)
    app.config.from_mapping(SITE_NAME="Deployable app")
    if test_config is None:
        if os.environ.get(SETTINGS_VARIABLE):
            # Set but unreadable is an error at start-up, not a silent default.
            app.config.from_envvar(SETTINGS_VARIABLE)
    else:
        app.config.from_mapping(test_config)
    app.config["VERSION"] = __version__  # what the code is, not a setting

    errors.init_app(app)
    app.register_blueprint(views.bp)
    return app
