"""Celery, worker killed.

For every example with a Celery worker: tasks are queued through its HTTP
API (the forms of its page, CSRF token included), served over a real socket;
a real worker runs them against a private Redis and is killed with SIGKILL
while tasks run; a new worker is started. Every task must reach SUCCESS
through the poll route, no task may complete twice, and only the tasks the
killed worker was running may run again.

A short visibility timeout stands in for the default hour (through the
FLASK_CELERY__ variables the example reads), so redelivery takes seconds;
the time from the kill to the first task run again is printed. The worker
reports what it runs as Celery events, which this check listens to.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from celery import Celery

from cookbook import catalogue
from cookbook import services

from . import all_of
from . import at_least
from . import at_most
from . import environment
from . import Figure
from . import private_instance_folders
from . import quiet_server_log
from .client import Form
from .client import forms
from .client import port_of
from .client import Session

NAME = "Celery, worker killed"
VISIBILITY_TIMEOUT = 3  # seconds; Celery's default for Redis is 3600


@dataclass(frozen=True)
class Size:
    tasks: int
    concurrency: int  # the worker's threads


FULL = Size(tasks=100, concurrency=4)
SHORT = Size(tasks=20, concurrency=4)


@dataclass
class Events:
    """What the workers said they did: each task's runs, by worker and time."""

    started: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    finished: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    workers: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, event: dict[str, Any]) -> None:
        with self.lock:
            hostname = str(event.get("hostname", ""))
            self.workers.add(hostname)
            task = str(event.get("uuid", ""))
            run = (hostname, time.monotonic())
            if event["type"] == "task-started":
                self.started.setdefault(task, []).append(run)
            elif event["type"] in {"task-succeeded", "task-failed"}:
                self.finished.setdefault(task, []).append(run)

    def finished_on(self, task: str, hostname: str) -> bool:
        return any(h == hostname for h, _ in self.finished.get(task, []))

    def running_on(self, hostname: str) -> list[str]:
        return [
            task
            for task, runs in self.started.items()
            if any(h == hostname for h, _ in runs)
            and not self.finished_on(task, hostname)
        ]


def run(short: bool = False) -> list[Figure]:
    size = SHORT if short else FULL
    figures: list[Figure] = []
    for example in catalogue.discover():
        if "celery-worker" in example.services:
            figures += kill_a_worker(example, size)
    return figures


def kill_a_worker(example: catalogue.Example, size: Size) -> list[Figure]:
    print(
        f"{NAME}: {example.folder}, {size.tasks} tasks, "
        f"visibility timeout {VISIBILITY_TIMEOUT} s"
    )
    with services.RedisServer(databases=2) as redis_server:
        url = redis_server.url(0)
        transport = "FLASK_CELERY__broker_transport_options__"
        env = {
            "REDIS_URL": url,
            "FLASK_SECRET_KEY": secrets.token_hex(),
            f"{transport}visibility_timeout": str(VISIBILITY_TIMEOUT),
            f"{transport}unacked_restore_interval": "1",
            f"{transport}unacked_restore_throttle": "1",
            "FLASK_CELERY__worker_send_task_events": "true",
            # One visitor sends every task here: past the example's limits on
            # tasks in flight, the check would measure its 429s.
            "FLASK_MAX_TASKS_PER_SESSION": "1000",
            "FLASK_MAX_TASKS": "1000",
        }
        events = Events()
        with (
            private_instance_folders(),
            environment(**env),
            quiet_server_log(),
            listening(url, events),
            services.LiveServer(catalogue.load_app(example.module)) as server,
        ):
            first = worker(example, url, env, size)
            try:
                services.wait_until(
                    lambda: first.hostname in events.workers,
                    timeout=30,
                    what="the first worker's events",
                )
                session = Session(port_of(server.url))
                tasks = usable_tasks(session)
                urls = queue(session, tasks, size.tasks)
                print(
                    f"  {len(urls)} tasks queued: {', '.join(f.action for f in tasks)}"
                )
                done = wait_until_some_finished(session, urls, events, first.hostname)
                killed_at = time.monotonic()
                first.kill()
                print(f"  SIGKILL to the worker after {done} tasks had finished")
            finally:
                first.stop()
            second = worker(example, url, env, size)
            try:
                final = poll_all(session, urls, timeout=120)
            finally:
                second.stop()
        return report(final, events, first.hostname, second.hostname, killed_at)


@contextmanager
def listening(broker_url: str, events: Events) -> Iterator[None]:
    """Celery events from every worker on this broker, handled in a thread."""
    app = Celery(set_as_current=False, broker=broker_url)
    receivers: list[Any] = []

    def listen() -> None:
        with app.connection_for_read() as connection:
            receiver = app.events.Receiver(connection, handlers={"*": events.handle})
            receivers.append(receiver)
            for _ in receiver.consume(limit=None, timeout=None, safety_interval=0.2):
                pass

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    try:
        yield
    finally:
        for receiver in receivers:
            receiver.should_stop = True
        thread.join(timeout=10)
        app.close()


def worker(
    example: catalogue.Example, url: str, env: dict[str, str], size: Size
) -> services.CeleryWorker:
    """A worker as the README starts one, with threads: tasks run side by side."""
    started = services.CeleryWorker(
        "make_celery",
        cwd=example.path,
        broker_url=url,
        # Celery warns about running as root (as containers do) on every start.
        env={**env, "PYTHONWARNINGS": "ignore::UserWarning"},
        pool="threads",
        concurrency=size.concurrency,
        log_level="critical",  # a trial task fails on purpose; the events tell all
    )
    started.start()
    return started


def task_forms(session: Session) -> list[Form]:
    page = session.get("/")
    return [f for f in forms(page.text, "/") if f.method == "POST" and f.csrf_token]


def smallest(form: Form) -> dict[str, str]:
    """The form's values, with each number at its minimum: the quickest task."""
    values = dict(form.values)
    for field_ in form.inputs:
        if field_.type == "number" and "min" in field_.attributes:
            values[field_.name] = field_.attributes["min"]
    return values


def start(session: Session, form: Form) -> str:
    answer = session.submit(form, smallest(form))
    if answer.status != 202:
        raise RuntimeError(
            f"{form.action} answered {answer.status}: {answer.text[:300]}"
        )
    return answer.header("Location")


def usable_tasks(session: Session) -> list[Form]:
    """The page's tasks that succeed quickly enough never to outlive the
    visibility timeout (one that did would rightly run twice)."""
    usable = []
    for form in task_forms(session):
        began = time.monotonic()
        final = poll_all(session, [start(session, form)], timeout=30)
        took = time.monotonic() - began
        states = {status.get("state") for status in final.values()}
        if states == {"SUCCESS"} and took < VISIBILITY_TIMEOUT / 2:
            usable.append(form)
        else:
            print(
                f"  not queued: {form.action} "
                f"({', '.join(map(str, states))}, {took:.1f} s)"
            )
    if not usable:
        raise RuntimeError("no task of the page succeeds within the visibility timeout")
    return usable


def queue(session: Session, tasks: list[Form], count: int) -> list[str]:
    return [start(session, tasks[n % len(tasks)]) for n in range(count)]


def statuses(session: Session, urls: list[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for url in urls:
        answer = session.request("GET", url)
        found[url] = (
            answer_json(answer.body)
            if answer.status == 200
            else {"state": str(answer.status)}
        )
    return found


def answer_json(body: bytes) -> dict[str, Any]:
    value = json.loads(body)
    return value if isinstance(value, dict) else {}


def wait_until_some_finished(
    session: Session, urls: list[str], events: Events, hostname: str
) -> int:
    """Wait until a third of the tasks are done and the worker is running others."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with events.lock:
            done = sum(
                1 for task in events.finished if events.finished_on(task, hostname)
            )
            running = events.running_on(hostname)
        if done >= len(urls) // 3 and running:
            return done
        time.sleep(0.01)
    raise RuntimeError("the worker did not get through a third of the tasks in 60 s")


def poll_all(
    session: Session, urls: list[str], timeout: float
) -> dict[str, dict[str, Any]]:
    """Poll every status URL until all are ready; the last answer for each."""
    final: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        for url, status in statuses(session, pending).items():
            final[url] = status
        pending = [url for url in pending if not final[url].get("ready")]
        if pending:
            time.sleep(0.05)
    return final


def report(
    final: dict[str, dict[str, Any]],
    events: Events,
    killed: str,
    replacement: str,
    killed_at: float,
) -> list[Figure]:
    queued = {str(status.get("task_id")) for status in final.values()}
    succeeded = sum(1 for status in final.values() if status.get("state") == "SUCCESS")
    with events.lock:
        # Every task seen, the page's trial ones included: none may run twice.
        seen = queued | set(events.started) | set(events.finished)
        in_flight = set(events.running_on(killed))
        completions = {t: list(events.finished.get(t, [])) for t in seen}
        runs = {t: list(events.started.get(t, [])) for t in seen}
    twice_done = [t for t, done in completions.items() if len(done) > 1]
    again = [
        t for t, started in runs.items() if len(started) > 1 and t not in in_flight
    ]
    rerun_ok = [t for t in in_flight if [h for h, _ in completions[t]] == [replacement]]
    redelivered = [at for t in in_flight for h, at in runs[t] if h == replacement]
    redelivery = min(redelivered) - killed_at if redelivered else None
    for task in sorted(set(twice_done) | set(again)):
        print(
            f"  ! {task} ran twice: started "
            + ", ".join(
                f"{h.split('@')[0]} {at - killed_at:+.2f} s" for h, at in runs[task]
            )
            + "; finished "
            + ", ".join(
                f"{h.split('@')[0]} {at - killed_at:+.2f} s"
                for h, at in completions[task]
            )
            + " (times from the kill)"
        )
    if redelivery is not None:
        print(
            "  redelivery: the first task of the killed worker ran again "
            f"{redelivery:.1f} s after the kill (visibility timeout "
            f"{VISIBILITY_TIMEOUT} s, a new worker started meanwhile). Celery's "
            "default for Redis is 3600 s: a killed worker's tasks wait an hour."
        )
    for status in [s for s in final.values() if s.get("state") != "SUCCESS"][:5]:
        print(f"  ! not a success: {status}")
    return [
        all_of(
            "tasks that reach SUCCESS through the poll route", succeeded, len(queued)
        ),
        at_least("tasks in flight at the kill", len(in_flight), 1),
        all_of(
            "of them, run again to SUCCESS by the new worker",
            len(rerun_ok),
            len(in_flight),
        ),
        at_most("tasks that completed twice", len(twice_done)),
        at_most("tasks run again though not in flight at the kill", len(again)),
        Figure(
            "time from the kill to redelivery",
            f"{redelivery:.1f} s" if redelivery is not None else "never",
            f"<= {VISIBILITY_TIMEOUT + 15} s (visibility {VISIBILITY_TIMEOUT} s)",
            redelivery is not None and redelivery <= VISIBILITY_TIMEOUT + 15,
        ),
    ]
