"""The apps the benchmarks serve: each example's own `create_app()`, plus the
route it is measured against, added here so that no example carries a route
that exists only for a benchmark.

gunicorn and `flask run` load them by factory string from the repository
root, e.g. `gunicorn 'bench.apps:streaming()'`. Whatever an app writes goes
to a temporary instance folder ($BENCH_INSTANCE), never into the source tree.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import Any

from flask import Flask
from flask import request
from flask import Response
from flask.typing import ResponseReturnValue


@contextlib.contextmanager
def instance_in(path: str) -> Iterator[None]:
    """Apps created inside the block keep their instance folder at `path`."""
    original = Flask.auto_find_instance_path
    Flask.auto_find_instance_path = lambda self: path  # type: ignore[method-assign]
    try:
        yield
    finally:
        Flask.auto_find_instance_path = original  # type: ignore[method-assign]


def _instance() -> str:
    return os.environ.get("BENCH_INSTANCE") or tempfile.mkdtemp(prefix="bench-")


def streaming() -> Flask:
    """The streaming example, and the same CSV joined into one body."""
    from streamer import create_app
    from streamer import views

    # The example caps a report at 1,000,000 rows (24 MB), a sensible bound
    # for a request anyone can send; the benchmark asks for 1 GiB.
    views.MAX_ROWS = int(os.environ.get("BENCH_MAX_ROWS", views.MAX_ROWS))
    with instance_in(_instance()):
        app = create_app()
    report = app.view_functions["streams.report"]

    @app.get("/bench/joined.csv")
    def joined() -> ResponseReturnValue:
        """The same rows from the same generator, joined before sending."""
        response = report()
        assert isinstance(response, Response)
        response.set_data(b"".join(response.iter_encoded()))
        return response

    return app


def file_uploads() -> Flask:
    """The file drop, and a route that reads the whole body into memory."""
    from filedrop import create_app

    with instance_in(_instance()):
        app = create_app()

    @app.post("/bench/read-all")
    def read_all() -> ResponseReturnValue:
        return {"bytes": len(request.get_data())}

    return app


def caching() -> Flask:
    """The book reviews, a bare route, and the search page without its cache."""
    from book_reviews import create_app
    from book_reviews import views

    with instance_in(_instance()):
        app = create_app()

    @app.get("/bench/ok")
    def ok() -> ResponseReturnValue:
        return "ok"

    @app.get("/bench/uncached")
    def uncached() -> ResponseReturnValue:
        # Flask-Caching keeps the undecorated view as `.uncached`.
        view: Any = views.index
        result: ResponseReturnValue = view.uncached()
        return result

    return app


def celery() -> Flask:
    """The task app, and a request that does the task's work itself."""
    from task_app import create_app
    from task_app import tasks
    from task_app import views

    with instance_in(_instance()):
        app = create_app()

    @app.post("/api/bench/inline")
    def inline() -> ResponseReturnValue:
        # What the visitor would wait for without Celery: the same form check,
        # then the task's own work, done inside the request.
        seconds = views.form_int("seconds", 1, 30)
        return {"result": tasks.sleep.run(seconds)}, 200

    return app


def sqlite3() -> Flask:
    """The notes app as it is (its database from $FLASK_DATABASE)."""
    from notes import create_app

    with instance_in(_instance()):
        return create_app()
