"""WSGI dispatchers that build one app per name on first use and keep it.

SubdomainDispatcher picks the app by the Host's subdomain (red.example.com),
PathDispatcher by the first path segment (/red/...), with a default app for
every other path. Neither is Flask-specific: any WSGI app can be dispatched.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Response
from werkzeug.wsgi import get_host

if TYPE_CHECKING:
    from wsgiref.types import StartResponse
    from wsgiref.types import WSGIApplication
    from wsgiref.types import WSGIEnvironment

# What a client may add at the end of a host name: the root's trailing dot, a port.
HOST_END = re.compile(r"\.?(?::[0-9]+)?\Z")


class AppCache:
    """One app per name, built by `create_app(name)` the first time it is asked for.

    `create_app` returns None for a name that has no app. That answer is not
    kept, so requests for made-up names cost no memory; but it is asked under
    the lock each time, so it must be quick (a set, a cached query).
    """

    def __init__(self, create_app: Callable[[str], WSGIApplication | None]) -> None:
        self.create_app = create_app
        self.instances: dict[str, WSGIApplication] = {}
        self.lock = threading.Lock()

    def get(self, name: str) -> WSGIApplication | None:
        app = self.instances.get(name)  # once built, no lock: a dict read is safe
        if app is not None:
            return app
        with self.lock:
            # Checked again under the lock: a request that waited here while
            # another built this app takes that one instead of building a
            # second, which would split its caches, connections and state.
            app = self.instances.get(name)
            if app is None:
                app = self.create_app(name)
                if app is not None:
                    self.instances[name] = app
            return app


class SubdomainDispatcher:
    """red.example.com goes to the app for "red"; any other host is a 404."""

    def __init__(
        self, domain: str, create_app: Callable[[str], WSGIApplication | None]
    ) -> None:
        self.domain = domain.lower()
        self.apps = AppCache(create_app)

    def subdomain(self, environ: WSGIEnvironment) -> str | None:
        """The part of the host before the domain, "" for the domain itself,
        None for a host outside it (evilexample.com is not under example.com)."""
        host = HOST_END.sub("", get_host(environ).lower())
        if host == self.domain:
            return ""
        if host.endswith("." + self.domain):
            return host[: -len(self.domain) - 1]
        return None

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        name = self.subdomain(environ)
        app = self.apps.get(name) if name is not None else None
        if app is None:
            # No app to render a page in its layout: plain text (Response's
            # default type), as for a bad Host.
            response = Response("404 Not Found: there is no site at this address.", 404)
            return response(environ, start_response)
        return app(environ, start_response)


class PathDispatcher:
    """/red/... goes to the app for "red", mounted at /red; any other path to
    the default app, unchanged."""

    def __init__(
        self,
        default_app: WSGIApplication,
        create_app: Callable[[str], WSGIApplication | None],
    ) -> None:
        self.default_app = default_app
        self.apps = AppCache(create_app)

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        # "/red/page" -> ["", "red", "page"]: the first segment names the app.
        segments = path.split("/")
        name = segments[1] if len(segments) > 1 and not segments[0] else ""
        app = self.apps.get(name) if name else None
        if app is None:
            return self.default_app(environ, start_response)
        # Move "/red" from PATH_INFO to the end of SCRIPT_NAME, as any mount does:
        # the app routes "/page", and its url_for puts "/red" back in front.
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/" + name
        environ["PATH_INFO"] = path[len(name) + 1 :]
        return app(environ, start_response)
