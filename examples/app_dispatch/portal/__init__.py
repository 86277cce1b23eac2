"""Application dispatching: separate Flask apps served as one WSGI application.

create_app() joins two apps by path: the site at /, its JSON API at /api.
create_team_app() is the lookup that dispatch.py's dispatchers call to build
one portal per team, by subdomain or by path.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask import request
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from .api import create_api
from .body_errors import BodyErrorsAreBadRequests
from .frontend import create_frontend

API_PREFIX = "/api"
# The teams that have a portal of their own. Any other name is no app: the
# dispatchers answer it with a 404 or their default app, and build nothing.
TEAMS = {"red": "Red team", "blue": "Blue team"}


def create_app(
    test_config: Mapping[str, Any] | None = None, team: str | None = None
) -> Flask:
    """The portal: the site at /, its JSON API at /api, two Flask apps in one.

    Given a `team` (create_team_app checks the name), that team's portal.
    """
    site = create_frontend(test_config)  # reads config, checks the key
    if team is not None:
        site.config.update(team_config(team, site.config))
    # A separate app, with its own routes, error handlers and extensions, but
    # the site's settings: the same secret key, so it reads the site's session.
    api = create_api(site.config)
    # Mounted inside the site's wsgi_app rather than around the site, so the
    # result is still one Flask object that `flask --app portal run`, the test
    # client and any WSGI server can serve.
    site.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        site.wsgi_app, {API_PREFIX: api}
    )
    # Outermost, so every reader of the body sees the server's errors as OSError.
    site.wsgi_app = BodyErrorsAreBadRequests(site.wsgi_app)  # type: ignore[method-assign]

    @site.template_global()
    def api_url(endpoint: str, **values: Any) -> str:
        """A link into the API, built from its own routes, under the site's mount."""
        urls = api.url_map.bind("", script_name=request.script_root + API_PREFIX)
        return urls.build(endpoint, values)

    return site


def create_team_app(
    team: str, test_config: Mapping[str, Any] | None = None
) -> Flask | None:
    """A team's own portal, or None when `team` is no team."""
    return create_app(test_config, team) if team in TEAMS else None


def team_config(team: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """What sets a team's portal apart from the others that share the process."""
    return {
        "SITE_NAME": TEAMS[team],
        # A cookie of its own, so the portals at /red/ and /blue/ each keep theirs.
        "SESSION_COOKIE_NAME": f"{team}_session",
        # And keys of its own: under one key, red's cookie sent to /blue/ under
        # blue's name would be blue's session, CSRF token and all. Derived from
        # the site's keys, so one FLASK_SECRET_KEY (and its fallbacks while it
        # is rotated) still serves every team.
        "SECRET_KEY": team_key(config["SECRET_KEY"], team),
        "SECRET_KEY_FALLBACKS": [
            team_key(key, team) for key in config["SECRET_KEY_FALLBACKS"] or []
        ],
    }


def team_key(key: str | bytes, team: str) -> str:
    """One team's key: an HMAC of its name under the site's key, so it gives
    away neither the site's key nor another team's."""
    secret = key.encode() if isinstance(key, str) else key
    return hmac.new(secret, team.encode(), hashlib.sha256).hexdigest()
