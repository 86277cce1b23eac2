"""What there is to send requests to: every example's routes, found, not listed.

A target is one mounted app of the gallery (an example at /<folder>, or the
gallery's own pages at /); its routes are those of its URL map, and of any
Flask app it mounts inside itself with a DispatcherMiddleware.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.routing import RequestRedirect
from werkzeug.routing import Rule

from cookbook import catalogue
from cookbook.gallery import create_index

from . import quiet_example_logs

ARGUMENT = re.compile(r"<([^<>]+)>")
GALLERY = "(gallery)"


@dataclass
class Route:
    """One URL rule, written from the target's mount point."""

    rule: str  # "/api/<int:id>": the mount point inside the app included
    methods: list[str]
    rule_object: Rule

    @property
    def arguments(self) -> list[tuple[str, str]]:
        """(converter, name) for each variable part, in order."""
        parts = []
        for text in ARGUMENT.findall(self.rule):
            converter, _, name = text.rpartition(":")
            parts.append((converter.split("(")[0] or "default", name))
        return parts

    def fill(self, values: list[str]) -> str:
        """The rule with each variable part replaced by the next of `values`."""
        supply = iter(values)
        return ARGUMENT.sub(lambda _: next(supply), self.rule)


@dataclass
class Target:
    name: str  # the example's folder, or GALLERY
    prefix: str  # where the gallery mounts it: "/sqlite3", or "" for its own pages
    app: Flask
    routes: list[Route] = field(default_factory=list)

    @property
    def limit(self) -> int | None:
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        return limit if isinstance(limit, int) else None

    def route_for(self, path: str) -> Route | None:
        """The route that a local path (with the target's prefix) reaches by GET."""
        if not path.startswith(self.prefix + "/"):
            return None
        return _match(self.app, path[len(self.prefix) :].split("?")[0], "", self.routes)


def mounted(app: Flask) -> dict[str, object]:
    """What a DispatcherMiddleware in the app's wsgi_app mounts, under however
    many middlewares wrap it (each keeps the app it wraps as .app or .wsgi_app)."""
    wsgi: object = app.wsgi_app
    while not isinstance(wsgi, DispatcherMiddleware):
        wsgi = getattr(wsgi, "wsgi_app", None) or getattr(wsgi, "app", None)
        if wsgi is None:
            return {}
    return dict(wsgi.mounts)


def _match(app: Flask, path: str, mount: str, routes: list[Route]) -> Route | None:
    for prefix, inner in mounted(app).items():
        if isinstance(inner, Flask) and path.startswith(prefix + "/"):
            return _match(inner, path[len(prefix) :], mount + prefix, routes)
    try:
        rule, _ = app.url_map.bind("127.0.0.1").match(
            path, method="GET", return_rule=True
        )
    except (HTTPException, RequestRedirect):
        return None
    return next((r for r in routes if r.rule_object is rule), None)


def routes(app: Flask, mount: str = "") -> list[Route]:
    """Every rule of the app and of the Flask apps it mounts inside itself."""
    found = [
        Route(mount + rule.rule, sorted(rule.methods or ()), rule)
        for rule in app.url_map.iter_rules()
    ]
    for prefix, inner in mounted(app).items():
        if isinstance(inner, Flask):
            found += routes(inner, mount + prefix)
    return sorted(found, key=lambda route: (route.rule, route.methods))


def discover(config: dict[str, object] | None = None) -> list[Target]:
    """The gallery's own pages and every example, each app built as the gallery
    builds it (call inside private_instance_folders())."""
    examples = catalogue.discover()
    index = create_index(examples)
    found = [Target(GALLERY, "", index, routes(index))]
    with quiet_example_logs():
        for example in examples:
            app = catalogue.load_app(example.module, config)
            found.append(Target(example.folder, f"/{example.folder}", app, routes(app)))
    return found
