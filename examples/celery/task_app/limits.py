"""How many tasks one session, and everyone together, may have queued or running.

Without a bound, one visitor can fill the queue and make everyone else wait.
The count lives in Redis, beside the results, so every web process sees the
same one: a sorted set of task ids per session and one for everyone, each id
scored with the time it stops counting, whatever became of its task. A task
has ended once its stored state says so: every task here keeps its result.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from typing import NoReturn

from celery import states
from flask import current_app
from flask import session
from werkzeug.exceptions import TooManyRequests

EVERYONE = "task_app:in-flight"
# A task lost without a trace (its queue flushed) never ends: its id stops
# counting after this long. Keep it longer than a task may wait and run.
SLOT_SECONDS = 3600
RETRY_AFTER_SECONDS = 10


def results_redis() -> Any:
    """The result backend's Redis client: the same server, the same timeouts."""
    return current_app.extensions["celery"].backend.client


def counted_in() -> tuple[str, str]:
    """The sorted sets a task started now counts in: this session's, everyone's."""
    # Flask's session is a signed cookie with no id of its own: give it one.
    if "id" not in session:
        session["id"] = uuid.uuid4().hex
    return f"{EVERYONE}:{session['id']}", EVERYONE


def reserve(task_id: str) -> None:
    """Count `task_id` in, or refuse it with a 429 past either limit."""
    client = results_redis()
    mine, everyone = counted_in()
    now = time.time()
    # Add first, then count: requests racing in other web processes cannot
    # all slip under a limit; at worst they are all refused.
    with client.pipeline() as pipe:
        for key in (mine, everyone):
            pipe.zremrangebyscore(key, "-inf", now)  # ids past their time
            pipe.zadd(key, {task_id: now + SLOT_SECONDS})
            pipe.expire(key, SLOT_SECONDS)  # a session gone quiet leaves nothing
        pipe.execute()
    per_session = current_app.config["MAX_TASKS_PER_SESSION"]
    in_all = current_app.config["MAX_TASKS"]
    if in_flight(client, mine, per_session) > per_session:
        refuse(
            task_id,
            f"Too many tasks for this session: at most {per_session} may be "
            "queued or running at once. Start another once one has finished.",
        )
    if in_flight(client, everyone, in_all) > in_all:
        refuse(task_id, "The task queue is full. Try again shortly.")


def in_flight(client: Any, key: str, limit: int) -> int:
    """How many tasks of `key` are queued or running. Past `limit`, the ids of
    those that have ended (succeeded or failed) are dropped first."""
    task_ids = [task_id.decode() for task_id in client.zrange(key, 0, -1)]
    if len(task_ids) <= limit:
        return len(task_ids)  # no need to look closer
    celery = current_app.extensions["celery"]
    ended = [i for i in task_ids if celery.AsyncResult(i).state in states.READY_STATES]
    if ended:
        client.zrem(key, *ended)
    return len(task_ids) - len(ended)


def release(task_id: str) -> None:
    """Count `task_id` out: it was refused, or it could not be sent."""
    client = results_redis()
    for key in counted_in():
        client.zrem(key, task_id)


def refuse(task_id: str, message: str) -> NoReturn:
    release(task_id)
    raise TooManyRequests(message, retry_after=RETRY_AFTER_SECONDS)
