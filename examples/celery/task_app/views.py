"""Start tasks without waiting for them, and poll for how they are doing."""

from __future__ import annotations

import uuid
from typing import Any

from celery import states
from celery import Task
from flask import abort
from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from . import limits
from . import tasks

bp = Blueprint("tasks", __name__)

QUEUED = "QUEUED"
# Bounds that keep numbers JSON-safe and the demo's tasks short.
NUMBER_LIMIT = 10**12


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html")


def enqueue(task: Task[Any, Any], *args: object) -> ResponseReturnValue:
    """Send `task` to the worker and answer 202 with the URL to poll."""
    task_id = str(uuid.uuid4())
    limits.reserve(task_id)  # or a 429, past the session's limit or everyone's
    try:
        # Celery reports an id it has never seen as PENDING, like a task still
        # waiting in the queue. Recording QUEUED first lets the poll route
        # tell "waiting" from "no such task" (404).
        task.backend.store_result(task_id, None, QUEUED)
        task.apply_async(args, task_id=task_id)
    except Exception:
        limits.release(task_id)  # never sent: it must not hold a slot
        raise
    status_url = url_for("tasks.status", task_id=task_id)
    return {"task_id": task_id, "status_url": status_url}, 202, {"Location": status_url}


def form_int(name: str, low: int, high: int) -> int:
    """An integer form field within [low, high], or a 400 that says what is wrong."""
    value = request.form.get(name, type=int)
    if value is None or not low <= value <= high:
        abort(400, f"'{name}' must be a whole number from {low} to {high}.")
    return value


@bp.post("/api/tasks/add")
def start_add() -> ResponseReturnValue:
    a = form_int("a", -NUMBER_LIMIT, NUMBER_LIMIT)
    b = form_int("b", -NUMBER_LIMIT, NUMBER_LIMIT)
    return enqueue(tasks.add, a, b)


@bp.post("/api/tasks/divide")
def start_divide() -> ResponseReturnValue:
    a = form_int("a", -NUMBER_LIMIT, NUMBER_LIMIT)
    b = form_int("b", -NUMBER_LIMIT, NUMBER_LIMIT)
    return enqueue(tasks.divide, a, b)


@bp.post("/api/tasks/sleep")
def start_sleep() -> ResponseReturnValue:
    return enqueue(tasks.sleep, form_int("seconds", 1, 30))


@bp.post("/api/tasks/process")
def start_process() -> ResponseReturnValue:
    return enqueue(tasks.process, form_int("total", 1, 100))


# The uuid converter: anything else is a 404, and GET /api/tasks/add a 405.
@bp.get("/api/tasks/<uuid:task_id>")
def status(task_id: uuid.UUID) -> ResponseReturnValue:
    """The task's state; its result, error or progress once there is one."""
    # One read of the stored record: state and value from the same moment, so
    # a task that finishes during this request cannot answer half of each.
    meta = current_app.extensions["celery"].backend.get_task_meta(str(task_id))
    state, value = meta["status"], meta["result"]
    if state == states.PENDING:  # never queued here, or its record has expired
        abort(404, "No such task.")
    body: dict[str, object] = {
        "task_id": str(task_id),
        "state": state,
        "ready": state in states.READY_STATES,
        "successful": state == states.SUCCESS,
    }
    if state == tasks.PROGRESS:
        body["progress"] = value
    elif state in states.EXCEPTION_STATES:
        # Name the error without leaking the worker's traceback.
        body["error"] = f"{type(value).__name__}: {value}"
    elif state == states.SUCCESS:
        body["result"] = value
    return body
