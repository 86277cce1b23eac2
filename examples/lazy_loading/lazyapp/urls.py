"""The central URL map: every URL of the app and the view that answers it.

No view module is imported here. Each view is a LazyView, named by a string
and imported by the first request that needs it, so the app starts without
importing any of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask

from .lazy import LazyView

# The package's own import name (lazyapp, or whatever a copy is renamed to),
# so the map keeps working when the package is copied and renamed.
PACKAGE = __name__.rpartition(".")[0]


def url(app: Flask, import_name: str, rules: Iterable[str]) -> None:
    """Route each of `rules` to the view `import_name` ("module.function").

    One LazyView for all the rules: they share its endpoint and its import.
    """
    view = LazyView(f"{PACKAGE}.{import_name}")
    for rule in rules:
        app.add_url_rule(rule, view_func=view)


def init_app(app: Flask) -> None:
    url(app, "views.index", ["/"])
    # Two URLs, one view, one endpoint: url_for("user") builds /users/ and
    # url_for("user", username="ada") builds /users/ada.
    url(app, "users.user", ["/users/", "/users/<username>"])
    # The old address of a profile keeps working. Another url() call means
    # another LazyView of the same view: it joins the same endpoint.
    url(app, "users.user", ["/people/<username>"])
