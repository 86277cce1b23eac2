"""celery: how long the request that starts a 5 s task takes, against one
that starts nothing.

A private Redis, a real Celery worker (the example's make_celery.py) and
the example in gunicorn. `POST /api/tasks/sleep` with seconds=5 records the
task as QUEUED and sends it; `POST /api/bench/nothing` (bench/apps.py) does
the same form check and answers the same 202, without Redis. Both with the
page's CSRF token and session, alternated, each on a new connection as a
browser's form post would be; the medians are compared. The first task
started must then finish on the worker, so the tasks really run.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import uuid
from pathlib import Path

from cookbook.services import CeleryWorker
from cookbook.services import RedisServer
from cookbook.services import wait_until

from . import base_env
from . import Gunicorn
from . import median
from . import ROOT
from . import Row
from . import scratch
from . import session_and_token
from .apps import instance_in

NAME = "celery"
TARGET = 1.2
REQUESTS = 150  # of each kind
TASK_SECONDS = 5


def post(
    port: int, path: str, cookie: str, token: str
) -> tuple[float, int, dict[str, str]]:
    """Seconds from connecting to the whole answer; status; JSON body."""
    body = f"seconds={TASK_SECONDS}".encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": cookie,
        "X-CSRFToken": token,
        "Accept": "application/json",
    }
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    seconds = time.perf_counter() - start
    return seconds, response.status, json.loads(data)


def breakdown(url: str, count: int, instance: Path) -> tuple[float, float]:
    """Median seconds of the two things enqueue() does, timed one by one in
    this process against the same Redis: the QUEUED record, and the send."""
    from task_app import create_app
    from task_app import tasks
    from task_app.views import QUEUED

    saved = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = url  # create_app() reads it from there
    try:
        with instance_in(str(instance)):
            app = create_app({"SECRET_KEY": "bench"})
    finally:
        if saved is None:
            del os.environ["REDIS_URL"]
        else:
            os.environ["REDIS_URL"] = saved
    record: list[float] = []
    send: list[float] = []
    with app.app_context():
        for n in range(count + 10):
            task_id = str(uuid.uuid4())
            t0 = time.perf_counter()
            tasks.sleep.backend.store_result(task_id, None, QUEUED)
            t1 = time.perf_counter()
            tasks.sleep.apply_async((TASK_SECONDS,), task_id=task_id)
            t2 = time.perf_counter()
            if n >= 10:
                record.append(t1 - t0)
                send.append(t2 - t1)
    return median(record), median(send)


def run(quick: bool = False) -> list[Row]:
    count = 30 if quick else REQUESTS
    with scratch("celery") as folder, RedisServer() as redis_server:
        url = redis_server.url(0)
        env = base_env(REDIS_URL=url, BENCH_INSTANCE=str(folder))
        worker = CeleryWorker(
            "make_celery",
            cwd=ROOT / "examples" / "celery",
            broker_url=url,
            env={"REDIS_URL": url, "FLASK_SECRET_KEY": env["FLASK_SECRET_KEY"]},
        )
        with worker, Gunicorn("bench.apps:celery()", env=env, timeout=60) as server:
            cookie, token = session_and_token(server.port, "/")
            kinds = {"start": "/api/tasks/sleep", "nothing": "/api/bench/nothing"}
            latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
            first_task: dict[str, str] = {}
            deadline = time.monotonic() + 120
            for n in range(count + 10):  # the first ten of each: warming up
                if time.monotonic() > deadline:
                    raise TimeoutError("the requests took over 120 s")
                for kind, path in kinds.items():
                    seconds, status, answer = post(server.port, path, cookie, token)
                    if status != 202:
                        raise RuntimeError(f"{path} answered {status}: {answer}")
                    if kind == "start" and not first_task:
                        first_task = answer
                    if n >= 10:
                        latencies[kind].append(seconds)

            def finished() -> bool:
                connection = http.client.HTTPConnection(
                    "127.0.0.1", server.port, timeout=10
                )
                try:
                    connection.request("GET", first_task["status_url"])
                    answer = json.loads(connection.getresponse().read())
                finally:
                    connection.close()
                return bool(answer["state"] == "SUCCESS")

            wait_until(finished, timeout=TASK_SECONDS + 30, what="the first task")
            record, send = breakdown(url, count, folder)
            # Hundreds of 5 s tasks wait in the queue: a warm shutdown would
            # first finish the one running. Redis and its queue go next.
            worker.kill()
    start, nothing = median(latencies["start"]), median(latencies["nothing"])
    ratio = start / nothing
    met = ratio <= TARGET
    return [
        Row(
            NAME,
            f"latency of `POST /api/tasks/sleep` starting a {TASK_SECONDS} s task "
            f"(gunicorn, a real worker and Redis): {start * 1000:.1f} ms, median "
            f"of {count}",
            f"a request that starts nothing: {nothing * 1000:.1f} ms",
            f"{ratio:.2f}",
            f"at most {TARGET}",
            met,
            why_missed=(
                ""
                if met
                else f"The request does not wait for the task (it answers in "
                f"{start * 1000:.1f} ms, not {TASK_SECONDS} s), but queueing it "
                f"costs about {(start - nothing) * 1000:.1f} ms against a request "
                f"of {nothing * 1000:.1f} ms: Celery building and sending the "
                f"message ({send * 1000:.2f} ms timed alone) and the example's "
                f"QUEUED record ({record * 1000:.2f} ms), each a round trip to "
                "Redis. Dropping the QUEUED record would save the smaller part "
                "and lose the 404 for unknown task ids. Sending after the "
                "response (`call_on_close`) would take the send out of the "
                "client's wait, but answer 202 for a task that may never be "
                "queued, where the example now answers 503 when Redis is down. "
                f"So the floor is Celery's send ({send * 1000:.1f} ms): the target "
                "can hold only against a request doing more work of its own "
                "than this bare one."
            ),
        ),
        Row(
            NAME,
            f"where the difference goes, timed alone in one process: the QUEUED "
            f"record {record * 1000:.2f} ms, Celery's send {send * 1000:.2f} ms",
            f"the difference of the medians: {(start - nothing) * 1000:.2f} ms",
            f"{(record + send) / (start - nothing):.2f}",
            "for information, no target",
            None,
        ),
    ]
