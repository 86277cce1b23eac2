"""Large applications as packages: `app` lives here, its views in modules beside it.

`flask --app guestbook run` imports this package, which creates `app` and then
imports the view modules that add routes to it.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import api
from . import db
from . import errors
from .body_errors import BodyErrorsAreBadRequests

MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)

# The package's name, so Flask finds templates/ and static/ inside the package.
app = Flask(__name__, instance_relative_config=True)
app.config.from_mapping(
    SECRET_KEY=None,
    # Data lives in the instance folder, outside the package.
    DATABASE=os.path.join(app.instance_path, "guestbook.sqlite"),
    # The biggest form: a name of 60 and a message of 500 characters, 12 bytes
    # each (4 in UTF-8, percent-encoded), and a CSRF token: under 8 KiB.
    MAX_CONTENT_LENGTH=8 * 1024,
    SESSION_COOKIE_SAMESITE="Lax",
    # Anyone may sign, so the guestbook stops growing here. An entry is at most
    # 560 characters (views.py), 2,240 bytes in UTF-8: 1,000 take under 3 MB.
    ENTRIES_MAX=1000,
    ENTRIES_PER_PAGE=20,  # a GET reads one page of entries, never all of them
)
app.config.from_pyfile("config.py", silent=True)  # instance/config.py
app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_DATABASE
if app.config["SECRET_KEY"] is None and (app.debug or app.testing):
    app.config["SECRET_KEY"] = "dev"  # noqa: S105 - for development only
if not isinstance(app.config["SECRET_KEY"], str) or not app.config["SECRET_KEY"]:
    raise RuntimeError(MISSING_KEY)

os.makedirs(app.instance_path, exist_ok=True)
errors.init_app(app)  # first: its guard must run before CSRFProtect's check
csrf = CSRFProtect(app)
db.init_app(app)
# A blueprint needs no `app` to define its routes, so it is imported at the top
# like any module and registered here.
app.register_blueprint(api.bp)
# So every reader of the body sees the server's errors as OSError.
app.wsgi_app = BodyErrorsAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]

# views.py decorates `app` itself (`from . import app`), so it can only be
# imported once `app` exists: here, at the bottom. That makes a circular import,
# and a safe one: this module uses nothing from views.py, it only needs the
# @app.route lines in it to run.
from . import views  # noqa: E402, F401
