"""The `shelf` command that installing the distribution puts on PATH.

pyproject.toml names it in [project.scripts]: `shelf = "shelf_app.cli:cli"`.
It is the `flask` command with the app already chosen, so `shelf init-db`,
`shelf run` and `shelf routes` work from any folder, with no --app.
"""

from __future__ import annotations

from flask.cli import FlaskGroup

from . import create_app

cli = FlaskGroup(create_app=create_app, help="Manage the shelf app.")
