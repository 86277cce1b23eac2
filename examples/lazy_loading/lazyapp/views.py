"""The home page: the URL map, and which of its views are imported so far."""

from __future__ import annotations

import sys

from flask import current_app
from flask import render_template
from flask.typing import ResponseReturnValue

from .lazy import LazyView


def index() -> ResponseReturnValue:
    """List every URL rule with its view and whether its module is imported."""
    routes = []
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        view = current_app.view_functions[rule.endpoint]
        if isinstance(view, LazyView):
            module = view.import_name.rpartition(".")[0]
            routes.append((rule.rule, view.import_name, module in sys.modules))
    return render_template("index.html", routes=routes)
