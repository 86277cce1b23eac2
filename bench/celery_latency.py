"""celery: the request that starts a 5 s task, against one that does the same
work itself, and what Celery's send costs against a bare LPUSH.

A private Redis, a real Celery worker (the example's make_celery.py) and
the example in gunicorn. `POST /api/tasks/sleep` with seconds=5 records the
task as QUEUED and sends it; `POST /api/bench/inline` (bench/apps.py) does the
same form check and then the task's work itself, as an app without Celery
would: the visitor waits the 5 s. Both with the page's CSRF token and
session, each on a new connection as a browser's form post would be; the
medians are compared. The first task started must then finish on the
worker, so the tasks really run. Then, in one process against the same
Redis: Celery's send of the task, against one LPUSH through redis-py of the
very message Celery wrote (read back from a queue no worker reads).
"""

from __future__ import annotations

import http.client
import json
import os
import time
import uuid
from pathlib import Path

import redis

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
TARGET = 0.01
REQUESTS = 150  # that start a task
INLINE_REQUESTS = 5  # that do the work (5 s each)
TASK_SECONDS = 5
CAPTURE_QUEUE = "bench-capture"  # no worker reads it


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


def send_and_lpush(url: str, count: int, instance: Path) -> tuple[float, float]:
    """Median seconds of Celery's send of the sleep task, and of one LPUSH
    through redis-py of the message that send wrote, in this process."""
    from task_app import create_app
    from task_app import tasks

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
    send: list[float] = []
    with app.app_context():
        for n in range(count + 10):
            t0 = time.perf_counter()
            tasks.sleep.apply_async(
                (TASK_SECONDS,), task_id=str(uuid.uuid4()), queue=CAPTURE_QUEUE
            )
            t1 = time.perf_counter()
            if n >= 10:
                send.append(t1 - t0)
    lpush: list[float] = []
    with redis.Redis.from_url(url) as client:
        message = client.lindex(CAPTURE_QUEUE, 0)
        if not message:
            raise RuntimeError(f"Celery wrote no message to {CAPTURE_QUEUE}")
        for n in range(count + 10):
            t0 = time.perf_counter()
            client.lpush("bench-raw", message)
            t1 = time.perf_counter()
            if n >= 10:
                lpush.append(t1 - t0)
        client.delete(CAPTURE_QUEUE, "bench-raw")
    return median(send), median(lpush)


def run(quick: bool = False) -> list[Row]:
    count = 30 if quick else REQUESTS
    with scratch("celery") as folder, RedisServer() as redis_server:
        url = redis_server.url(0)
        # About 160 starts from one session: above the example's limits on
        # tasks in flight, which are not what this measures.
        env = base_env(
            REDIS_URL=url,
            BENCH_INSTANCE=str(folder),
            FLASK_MAX_TASKS_PER_SESSION="1000",
            FLASK_MAX_TASKS="1000",
        )
        worker = CeleryWorker(
            "make_celery",
            cwd=ROOT / "examples" / "celery",
            broker_url=url,
            env={"REDIS_URL": url, "FLASK_SECRET_KEY": env["FLASK_SECRET_KEY"]},
        )
        with worker, Gunicorn("bench.apps:celery()", env=env, timeout=60) as server:
            cookie, token = session_and_token(server.port, "/")
            inline_count = 2 if quick else INLINE_REQUESTS
            # (path, requests, warm-up requests first, the answer expected)
            kinds = {
                "start": ("/api/tasks/sleep", count, 10, 202),
                "inline": ("/api/bench/inline", inline_count, 0, 200),
            }
            latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
            first_task: dict[str, str] = {}
            deadline = time.monotonic() + 300
            for kind, (path, requests, warm_up, expected) in kinds.items():
                for n in range(warm_up + requests):
                    if time.monotonic() > deadline:
                        raise TimeoutError("the requests took over 300 s")
                    seconds, status, answer = post(server.port, path, cookie, token)
                    if status != expected:
                        raise RuntimeError(f"{path} answered {status}: {answer}")
                    if kind == "start" and not first_task:
                        first_task = answer
                    if n >= warm_up:
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
            send, lpush = send_and_lpush(url, count, folder)
            # Hundreds of 5 s tasks wait in the queue: a warm shutdown would
            # first finish the one running. Redis and its queue go next.
            worker.kill()
    start, inline = median(latencies["start"]), median(latencies["inline"])
    ratio = start / inline
    met = ratio <= TARGET
    return [
        Row(
            NAME,
            f"latency of `POST /api/tasks/sleep` starting a {TASK_SECONDS} s task "
            f"(gunicorn, a real worker and Redis): {start * 1000:.1f} ms, median "
            f"of {count}",
            f"the same request doing the task's work itself: {inline:.2f} s, "
            f"median of {inline_count}",
            f"{ratio:.4f}",
            f"at most {TARGET}",
            met,
            why_missed=(
                ""
                if met
                else "Starting the task costs more than a hundredth of doing it: "
                "look at what the request does besides the send (the row below)."
            ),
        ),
        Row(
            NAME,
            f"Celery's send of the task, timed alone in one process: "
            f"{send * 1000:.2f} ms",
            f"one LPUSH through redis-py of the message it wrote: "
            f"{lpush * 1000:.2f} ms",
            f"{send / lpush:.1f}",
            "for information, no target: the price of Celery's machinery",
            None,
        ),
    ]
