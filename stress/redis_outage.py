"""Redis killed, and Redis frozen.

For every example with a Celery worker, served over a real socket: its
routes that need Redis are those its page's forms post to (start a task)
and the status URLs they answer with (poll it). With Redis killed (SIGKILL),
then with Redis frozen (SIGSTOP: it accepts connections and never answers),
every one of them must answer 503 with a Retry-After header within a few
seconds, and answer normally again once Redis is back (restarted on its
port, or sent SIGCONT). The slowest answer of each phase is printed.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from cookbook import catalogue
from cookbook import services

from . import all_of
from . import environment
from . import Figure
from . import private_instance_folders
from . import quiet_server_log
from .client import Answer
from .client import Form
from .client import forms
from .client import port_of
from .client import Session

NAME = "Redis killed and Redis frozen"
FEW_SECONDS = 5.0  # the most a request may wait for a Redis that is gone
RECOVERY = 30.0  # how long a route may take to answer normally again


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # a start route, or a status URL
    form: Form | None  # what a start route is sent


@dataclass
class Timed:
    route: Route
    answer: Answer
    seconds: float


def run(short: bool = False) -> list[Figure]:
    """The same in both forms: a few requests per route and phase."""
    figures: list[Figure] = []
    for example in catalogue.discover():
        if "celery-worker" in example.services:
            figures += outage(example)
    return figures


def outage(example: catalogue.Example) -> list[Figure]:
    print(f"{NAME}: {example.folder}")
    with services.RedisServer(databases=2) as redis_server:
        env = {
            "REDIS_URL": redis_server.url(0),
            "FLASK_SECRET_KEY": secrets.token_hex(),
            # No worker runs: every task sent stays in flight, past the
            # example's limits (a 429) before the outage is even measured.
            "FLASK_MAX_TASKS_PER_SESSION": "1000",
            "FLASK_MAX_TASKS": "1000",
        }
        with private_instance_folders(), environment(**env), quiet_server_log():
            app = catalogue.load_app(example.module)
            # It logs each outage as an error, as it should; this check reports them.
            app.logger.disabled = True
            with services.LiveServer(app) as server:
                return phases(Session(port_of(server.url)), redis_server)


def phases(session: Session, redis_server: services.RedisServer) -> list[Figure]:
    figures: list[Figure] = []
    routes = find_routes(session)
    print(f"  routes: {', '.join(f'{r.method} {r.path}' for r in routes)}")
    for phase in ("killed", "frozen"):
        with redis_out(redis_server, phase):
            down = timed_all(session, routes)
        back = recovered(session, routes)
        figures += phase_figures(phase, down, back, len(routes))
    return figures


def find_routes(session: Session) -> list[Route]:
    """The page's task forms and, for each, the status URL it answers with."""
    page = session.get("/")
    starts = [
        Route("POST", form.action, form)
        for form in forms(page.text, "/")
        if form.method == "POST" and form.csrf_token
    ]
    if not starts:
        raise RuntimeError("the example's page has no form that starts a task")
    status_urls = []
    for route in starts:
        answer = send(session, route)
        if answer.status != 202 or not answer.header("Location"):
            raise RuntimeError(f"{route.path} answered {answer.status} with Redis up")
        status_urls.append(answer.header("Location"))
    # Every start route answers with a URL of the one poll route: one will do.
    poll = Route("GET", status_urls[0], None)
    if send(session, poll).status != 200:
        raise RuntimeError(f"{poll.path} did not answer 200 with Redis up")
    return [*starts, poll]


def send(session: Session, route: Route) -> Answer:
    if route.form is not None:
        return session.submit(route.form)
    return session.request(route.method, route.path, timeout=60)


@contextmanager
def redis_out(redis_server: services.RedisServer, phase: str) -> Iterator[None]:
    """Redis gone (killed, then restarted on its port) or frozen (then thawed)."""
    process = redis_server._process  # the test suite freezes it the same way
    assert process is not None
    if phase == "killed":
        process.kill()
        process.wait()
        try:
            yield
        finally:
            redis_server.start()  # the same port: the apps' URLs hold
    else:
        os.kill(process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(process.pid, signal.SIGCONT)


def timed(session: Session, route: Route) -> Timed:
    began = time.monotonic()
    answer = send(session, route)
    return Timed(route, answer, time.monotonic() - began)


def timed_all(session: Session, routes: list[Route]) -> list[Timed]:
    """Every route at once, as visitors would arrive."""
    with ThreadPoolExecutor(len(routes)) as pool:
        return list(pool.map(lambda route: timed(session, route), routes))


def recovered(session: Session, routes: list[Route]) -> list[Timed]:
    """Each route until it answers normally (a poll: a task started since)."""
    results = []
    for route in routes:
        began = time.monotonic()
        while True:
            target = route
            if route.form is None:  # a fresh task: a restarted Redis has lost the old
                start = next(r for r in routes if r.form is not None)
                answer = send(session, start)
                if answer.status == 202:
                    target = Route("GET", answer.header("Location"), None)
            answer = send(session, target)
            if normal(route, answer) or time.monotonic() - began > RECOVERY:
                break
            time.sleep(0.1)
        results.append(Timed(route, answer, time.monotonic() - began))
    return results


def normal(route: Route, answer: Answer) -> bool:
    return answer.status == (202 if route.form is not None else 200)


def refused_to_retry(timed: Timed) -> bool:
    return timed.answer.status == 503 and timed.answer.header("Retry-After").isdigit()


def phase_figures(
    phase: str, down: list[Timed], back: list[Timed], routes: int
) -> list[Figure]:
    for t in down:
        if not refused_to_retry(t):
            print(
                f"  ! Redis {phase}: {t.route.method} {t.route.path} "
                f"{t.answer.status} {t.answer.text[:200]}"
            )
    for t in back:
        if not normal(t.route, t.answer):
            print(f"  ! Redis back: {t.route.method} {t.route.path} {t.answer.status}")
    slowest = max(down, key=lambda t: t.seconds)
    slowest_back = max(back, key=lambda t: t.seconds)
    print(
        f"  Redis {phase}: slowest 503 {slowest.seconds:.2f} s "
        f"({slowest.route.method} {slowest.route.path}); "
        f"back to normal within {slowest_back.seconds:.2f} s"
    )
    refused = sum(map(refused_to_retry, down))
    normal_again = sum(normal(t.route, t.answer) for t in back)
    return [
        all_of(
            f"Redis {phase}: routes answering 503 with Retry-After", refused, routes
        ),
        Figure(
            f"Redis {phase}: the slowest of those answers",
            f"{slowest.seconds:.1f} s",
            f"<= {FEW_SECONDS:g} s",
            slowest.seconds <= FEW_SECONDS,
        ),
        all_of(
            f"Redis {phase}, then back: routes answering normally", normal_again, routes
        ),
    ]
