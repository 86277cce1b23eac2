"""Bind a Celery app to a Flask app: the integration from the Flask docs."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery import Task
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app from `app.config["CELERY"]` and attach it to `app`."""

    class FlaskTask(Task):  # type: ignore[type-arg]
        # Every task body runs inside the Flask app context, so tasks can use
        # current_app.config, database sessions and the rest like a view does.
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app: Celery = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    # `shared_task` tasks bind to the default app: this is what lets tasks.py
    # be written without importing any app object.
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
