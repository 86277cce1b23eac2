"""The portal's JSON API: a Flask app of its own, mounted at /api by create_app()."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import Flask
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

bp = Blueprint("api", __name__)


def create_api(config: Mapping[str, Any]) -> Flask:
    """The API app, with the settings it is given (the site's, in create_app)."""
    app = Flask(__name__, static_folder=None)  # the site serves the static files
    app.config.from_mapping(config)
    # Every error as JSON, whatever the path: the API has no pages. Inside
    # this app a path has no /api in front of it (that is its SCRIPT_NAME).
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_blueprint(bp)
    return app


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    # Keep what the error says in its headers (Allow on a 405), not its HTML type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    body = {"error": error.name, "message": error.description}
    return body, error.code or 500, headers


@bp.get("/")
def index() -> ResponseReturnValue:
    # url_for sees the mount: "/api/me" here, "/red/api/me" in the red portal.
    return {
        "site": current_app.config["SITE_NAME"],
        "links": {"self": url_for(".index"), "me": url_for(".me")},
    }


@bp.get("/me")
def me() -> ResponseReturnValue:
    """The name the site stored: one secret key, so one session for both apps."""
    return {"name": session.get("name")}
