"""The background tasks. `shared_task` keeps them free of any app object.

Each task is named explicitly: the worker imports this module as
`task_app.tasks`, a project may import it as `myproject.task_app.tasks`, and
Celery's automatic names would differ between the two ("NotRegistered").
"""

from __future__ import annotations

import time
from typing import Any

from celery import shared_task
from celery import Task
from flask import current_app

PROGRESS = "PROGRESS"


@shared_task(name="task_app.add", ignore_result=False)
def add(a: int, b: int) -> int:
    """A result worth waiting for: the sum."""
    return a + b


@shared_task(name="task_app.divide", ignore_result=False)
def divide(a: int, b: int) -> float:
    """Raises ZeroDivisionError when b is 0: the poll route shows it as failed."""
    return a / b


@shared_task(name="task_app.sleep", ignore_result=False)
def sleep(seconds: float) -> float:
    """A slow task: the request that starts it still returns at once."""
    time.sleep(seconds)
    return seconds


@shared_task(name="task_app.process", bind=True, ignore_result=False)
def process(self: Task[Any, Any], total: int) -> dict[str, int]:
    """Work through `total` items, reporting progress after each one."""
    # The FlaskTask base class pushed an app context, so config is at hand.
    seconds_per_item: float = current_app.config["SECONDS_PER_ITEM"]
    for done in range(total):
        self.update_state(state=PROGRESS, meta={"current": done, "total": total})
        time.sleep(seconds_per_item)
    return {"current": total, "total": total}
