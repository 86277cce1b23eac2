"""Background tasks with Celery, run by a real worker against a real Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as StillWaiting
from pathlib import Path
from typing import Any

import pytest
import redis
from bs4 import BeautifulSoup
from bs4 import Tag
from celery import Celery
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect
from playwright.sync_api import Page
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import TestResponse

from task_app import create_app
from task_app import MISSING_KEY

pytestmark = pytest.mark.services

QUEUE_DOWN = "The task queue is unavailable. Try again shortly."
Status = dict[str, Any]
# What the conftest's fixtures give: `worker`, the session's `celery worker`
# process, listening on the test's Redis (emptied after every test), and
# `start_worker(pool=..., **settings)`, which starts a worker of the test's own
# (`start_workers` several side by side).
Worker = subprocess.Popen[bytes]
StartWorker = Callable[..., Worker]


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def answer_within(seconds: float, request: Callable[[], TestResponse]) -> TestResponse:
    """The response, or a failure that says the request hangs.

    A hung request is left behind (no waiting for it): the fixture that froze
    the server thaws and stops it after the test, and that releases it.
    """
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(request).result(timeout=seconds)
    except StillWaiting:
        raise AssertionError(f"no answer after {seconds} s: no timeout?") from None
    finally:
        pool.shutdown(wait=False)


def wait_for(
    client: FlaskClient,
    status_url: str,
    done: Callable[[Status], bool],
    *,
    timeout: float = 30,
) -> list[Status]:
    """Poll the status route until `done`; return every answer seen on the way."""
    seen: list[Status] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(status_url)
        assert response.status_code == 200, response.text
        seen.append(response.json)
        if done(seen[-1]):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"not done after {timeout} s; last answer: {seen[-1:]}")


def ready(status: Status) -> bool:
    return bool(status["ready"])


def start(client: FlaskClient, task: str, **form: object) -> str:
    response = client.post(f"/api/tasks/{task}", data=form)
    assert response.status_code == 202, response.text
    status_url: str = response.json["status_url"]
    assert response.headers["Location"] == status_url
    return status_url


# --- Starting tasks and polling them ----------------------------------------


def test_the_page_offers_a_form_for_every_task(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    forms = BeautifulSoup(response.text, "html.parser").find_all("form")
    assert {(form["method"], form["action"]) for form in forms} == {
        ("post", f"/api/tasks/{task}") for task in ("add", "divide", "process", "sleep")
    }
    assert all(form.find("input", attrs={"name": "csrf_token"}) for form in forms)


def test_starting_a_task_answers_at_once_and_it_waits_queued(
    client: FlaskClient,
) -> None:
    # No worker listens on this test's Redis: the task stays queued.
    response = client.post("/api/tasks/sleep", data={"seconds": 30})
    assert response.status_code == 202, response.text
    task_id = response.json["task_id"]
    assert response.json["status_url"] == f"/api/tasks/{task_id}"
    assert response.headers["Location"] == f"/api/tasks/{task_id}"

    status = client.get(f"/api/tasks/{task_id}")
    assert status.status_code == 200, status.text
    assert status.json == {
        "task_id": task_id,
        "state": "QUEUED",
        "ready": False,
        "successful": False,
    }


@pytest.mark.usefixtures("worker")
def test_the_sum_arrives_through_the_poll_route(client: FlaskClient) -> None:
    status_url = start(client, "add", a=2, b=40)
    final = wait_for(client, status_url, ready)[-1]
    assert final["state"] == "SUCCESS"
    assert final["successful"] is True
    assert final["result"] == 42


@pytest.mark.usefixtures("worker")
def test_a_task_sent_with_keyword_arguments_gets_them(app: Flask) -> None:
    """The views send positional arguments; a project's own code may name them,
    and the app-context task class passes them on."""
    result = app.extensions["celery"].send_task(
        "task_app.add", kwargs={"a": 2, "b": 40}
    )
    try:
        assert result.get(timeout=30) == 42
    finally:
        result.forget()


@pytest.mark.usefixtures("worker")
def test_a_slow_task_reports_its_progress(client: FlaskClient) -> None:
    status_url = start(client, "process", total=5)
    seen = wait_for(client, status_url, ready)

    progress = [s["progress"]["current"] for s in seen if s["state"] == "PROGRESS"]
    assert progress, f"no PROGRESS state seen in {seen}"
    assert progress == sorted(progress)
    assert all(0 <= current < 5 for current in progress)
    assert {s["progress"]["total"] for s in seen if s["state"] == "PROGRESS"} == {5}
    assert seen[-1]["state"] == "SUCCESS"
    assert seen[-1]["result"] == {"current": 5, "total": 5}


@pytest.mark.usefixtures("worker")
def test_a_task_that_raises_shows_as_failed(client: FlaskClient) -> None:
    status_url = start(client, "divide", a=1, b=0)
    final = wait_for(client, status_url, ready)[-1]
    assert final["state"] == "FAILURE"
    assert final["successful"] is False
    assert final["error"] == "ZeroDivisionError: division by zero"
    assert "Traceback" not in str(final)


# --- Errors: JSON under /api/, Flask's own page elsewhere ------------------


@pytest.mark.parametrize(
    ("task_id", "message"),
    [
        (str(uuid.uuid4()), "No such task."),
        ("not-a-uuid", "The requested URL was not found"),
        ("x" * 5000, "The requested URL was not found"),
        ("%00", "The requested URL was not found"),
        ("../add", "The requested URL was not found"),
    ],
    ids=["never-issued", "not-a-uuid", "very-long", "nul", "traversal"],
)
def test_an_unknown_task_id_is_a_json_404(
    client: FlaskClient, task_id: str, message: str
) -> None:
    # JSON even when the client would rather have a page: the path decides.
    response = client.get(f"/api/tasks/{task_id}", headers={"Accept": "text/html"})
    assert response.status_code == 404, response.text
    assert response.mimetype == "application/json"
    assert response.json["error"] == "Not Found"
    assert response.json["message"].startswith(message)


def test_polling_a_start_route_is_a_json_405(client: FlaskClient) -> None:
    response = client.get("/api/tasks/add")
    assert response.status_code == 405, response.text
    assert response.mimetype == "application/json"
    assert response.json["error"] == "Method Not Allowed"
    assert "POST" in response.headers["Allow"]


def test_api_itself_answers_in_json(client: FlaskClient) -> None:
    response = client.get("/api", headers={"Accept": "text/html"})
    assert response.status_code == 404, response.text
    assert response.json == {"error": "Not Found", "message": NotFound.description}


def test_an_unknown_page_outside_api_is_flasks_own_404(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404, response.text
    assert response.mimetype == "text/html"
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1 is not None
    assert page.h1.get_text() == "Not Found"


NUMBER = "must be a whole number from -1000000000000 to 1000000000000."


@pytest.mark.parametrize(
    ("task", "form", "message"),
    [
        ("add", {"a": "1"}, f"'b' {NUMBER}"),
        ("add", {"a": "one", "b": "2"}, f"'a' {NUMBER}"),
        ("add", {"a": "1.5", "b": "2"}, f"'a' {NUMBER}"),
        ("add", {"a": "1", "b": str(10**12 + 1)}, f"'b' {NUMBER}"),
        ("add", {"a": "1", "b": str(10**30)}, f"'b' {NUMBER}"),
        ("divide", {}, f"'a' {NUMBER}"),
        ("divide", {"a": str(-(10**12) - 1), "b": "1"}, f"'a' {NUMBER}"),
        ("process", {"total": "0"}, "'total' must be a whole number from 1 to 100."),
        ("process", {"total": "101"}, "'total' must be a whole number from 1 to 100."),
        ("sleep", {"seconds": "0"}, "'seconds' must be a whole number from 1 to 30."),
        ("sleep", {"seconds": "31"}, "'seconds' must be a whole number from 1 to 30."),
    ],
)
def test_bad_input_is_a_400_and_queues_nothing(
    client: FlaskClient,
    redisdb: redis.Redis,
    task: str,
    form: dict[str, str],
    message: str,
) -> None:
    response = client.post(f"/api/tasks/{task}", data=form)
    assert response.status_code == 400, response.text
    assert response.json == {"error": "Bad Request", "message": message}
    # No message in the queue and no QUEUED record either: the app's Redis
    # (pytest-redis's client of it) is as empty as the test found it.
    assert redisdb.dbsize() == 0


@pytest.mark.parametrize(
    ("task", "form"),
    [
        ("add", {"a": str(-(10**12)), "b": str(10**12)}),
        ("divide", {"a": str(10**12), "b": str(-(10**12))}),
        ("process", {"total": "1"}),
        ("process", {"total": "100"}),
        ("sleep", {"seconds": "1"}),
        ("sleep", {"seconds": "30"}),
    ],
)
def test_numbers_at_the_bounds_are_accepted(
    client: FlaskClient, task: str, form: dict[str, str]
) -> None:
    start(client, task, **form)


def test_a_json_body_is_not_mistaken_for_a_form(client: FlaskClient) -> None:
    response = client.post("/api/tasks/add", json={"a": 1, "b": 2})
    assert response.status_code == 400, response.text
    assert response.json["message"].startswith("'a' must be")


@pytest.mark.usefixtures("redis_url")
def test_starting_a_task_needs_the_csrf_token(config: dict[str, object]) -> None:
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    refused = client.post("/api/tasks/add", data={"a": 1, "b": 2})
    assert refused.status_code == 400, refused.text
    assert "CSRF" in refused.json["message"]

    token = csrf_token(client.get("/").text)
    accepted = client.post("/api/tasks/add", data={"a": 1, "b": 2, "csrf_token": token})
    assert accepted.status_code == 202, accepted.text


# --- The request body: its size, its parts, a server that cannot read it ----

# The body limit (MAX_CONTENT_LENGTH): a form of exactly 4 KiB gets in.
BODY_LIMIT = 4 * 1024


@pytest.mark.parametrize(
    ("size", "status"), [(BODY_LIMIT, 202), (BODY_LIMIT + 1, 413)], ids=["at", "over"]
)
def test_a_body_past_4_kib_is_a_json_413(
    client: FlaskClient, size: int, status: int
) -> None:
    form = b"a=1&b=2&padding="
    body = form + b"x" * (size - len(form))
    response = client.post(
        "/api/tasks/add", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == status, response.text
    if status == 413:
        assert response.json == {
            "error": "Request Entity Too Large",
            "message": RequestEntityTooLarge.description,
        }


def multipart(*parts: str) -> bytes:
    """A multipart/form-data body, boundary "b", of the given part headers
    (each part's content is "5"), as tasks.js sends its forms."""
    body = "".join(f"--b\r\n{headers}\r\n\r\n5\r\n" for headers in parts)
    return (body + "--b--\r\n").encode()


NAMED = [
    'Content-Disposition: form-data; name="a"',
    'Content-Disposition: form-data; name="b"',
]


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ([], 202),
        (["Content-Disposition: form-data"], 400),
        (['Content-Disposition: form-data; filename="a.txt"'], 400),
    ],
    ids=["named", "nameless-field", "nameless-file"],
)
def test_every_part_of_a_multipart_form_needs_a_name(
    client: FlaskClient, redisdb: redis.Redis, extra: list[str], status: int
) -> None:
    response = client.post(
        "/api/tasks/add",
        data=multipart(*NAMED, *extra),
        content_type="multipart/form-data; boundary=b",
    )
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json == {
            "error": "Bad Request",
            "message": "Every part of a multipart form needs a name.",
        }
        assert redisdb.dbsize() == 0


class BrokenBody:
    """A server's input stream that fails as gunicorn's does on a malformed
    chunked body: with an error of its own, not an OSError."""

    class InvalidChunkSize(Exception):
        pass

    def read(self, size: int = -1) -> bytes:
        raise self.InvalidChunkSize("+0")


def test_a_body_the_server_cannot_read_is_a_json_400(
    client: FlaskClient, redisdb: redis.Redis
) -> None:
    response = client.post(
        "/api/tasks/add",
        data=b"a=1&b=2",  # its Content-Length; the server cannot read it
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": BrokenBody()},
    )
    assert response.status_code == 400, response.text
    assert response.json == {"error": "Bad Request", "message": BadRequest.description}
    assert redisdb.dbsize() == 0


# --- Limits: per session and for everyone, a 429 to retry past them ---------

# Small limits, so that a test reaches them in a few requests.
LIMITS = {"MAX_TASKS_PER_SESSION": 2, "MAX_TASKS": 3}
SESSION_FULL = (
    "Too many tasks for this session: at most {} may be queued or running at "
    "once. Start another once one has finished."
)
QUEUE_FULL = "The task queue is full. Try again shortly."


def assert_refused(response: TestResponse, message: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == "10"
    assert response.json == {"error": "Too Many Requests", "message": message}


@pytest.mark.usefixtures("redis_url")
def test_a_session_past_its_limit_is_a_429_to_retry(
    config: dict[str, object], redisdb: redis.Redis
) -> None:
    client = create_app({**config, **LIMITS}).test_client()
    # No worker listens on this test's Redis: the tasks stay queued, and count.
    start(client, "sleep", seconds=30)
    start(client, "add", a=1, b=2)
    refused = client.post("/api/tasks/add", data={"a": "3", "b": "4"})
    assert_refused(refused, SESSION_FULL.format(2))
    # The refused task was never sent: the queues hold the two accepted ones.
    assert (redisdb.llen("long"), redisdb.llen("short")) == (1, 1)


@pytest.mark.usefixtures("redis_url")
def test_another_session_is_not_held_back_by_the_first_ones_limit(
    config: dict[str, object],
) -> None:
    app = create_app({**config, **LIMITS})
    first, second = app.test_client(), app.test_client()
    start(first, "sleep", seconds=30)
    start(first, "sleep", seconds=30)
    assert_refused(
        first.post("/api/tasks/sleep", data={"seconds": "30"}), SESSION_FULL.format(2)
    )

    start(second, "sleep", seconds=30)


@pytest.mark.usefixtures("redis_url")
def test_everyone_together_past_the_limit_is_a_429_to_retry(
    config: dict[str, object],
) -> None:
    app = create_app({**config, **LIMITS})
    first, second, third = app.test_client(), app.test_client(), app.test_client()
    start(first, "sleep", seconds=30)
    start(first, "sleep", seconds=30)
    start(second, "add", a=1, b=2)
    # Under its own limit, but three tasks wait already: as many as allowed.
    assert_refused(third.post("/api/tasks/add", data={"a": "1", "b": "2"}), QUEUE_FULL)
    assert_refused(second.post("/api/tasks/add", data={"a": "1", "b": "2"}), QUEUE_FULL)


@pytest.mark.usefixtures("redis_url")
def test_by_default_a_session_may_have_5_tasks_and_everyone_20(
    config: dict[str, object],
) -> None:
    app = create_app(config)
    sessions = [app.test_client() for _ in range(5)]
    for client in sessions[:4]:
        for _ in range(5):
            start(client, "sleep", seconds=30)
    assert_refused(
        sessions[0].post("/api/tasks/sleep", data={"seconds": "30"}),
        SESSION_FULL.format(5),
    )
    assert_refused(
        sessions[4].post("/api/tasks/sleep", data={"seconds": "30"}), QUEUE_FULL
    )


def test_a_slot_is_held_for_an_hour_at_most(
    client: FlaskClient, redisdb: redis.Redis
) -> None:
    """A task lost without a trace stops counting after SLOT_SECONDS."""
    before = time.time()
    task_id = start(client, "sleep", seconds=30).rsplit("/", 1)[-1]
    after = time.time()
    score = redisdb.zscore("task_app:in-flight", task_id)
    assert score is not None
    assert before + 3600 <= score <= after + 3600
    assert 0 < redisdb.ttl("task_app:in-flight") <= 3600


# A task that ends in each state, as the form sends it.
ENDINGS = {
    "SUCCESS": ("add", {"a": "2", "b": "40"}),
    "FAILURE": ("divide", {"a": "1", "b": "0"}),
}


@pytest.mark.usefixtures("redis_url")
def test_a_session_may_start_a_task_again_once_one_has_ended(
    config: dict[str, object], start_worker: StartWorker
) -> None:
    """Whether its task succeeded or failed: a session of each, side by side."""
    app = create_app({**config, "MAX_TASKS_PER_SESSION": 1})
    sessions = {}
    for state, (task, form) in ENDINGS.items():
        client = app.test_client()
        # No worker yet: the first task waits, and holds the session's one slot.
        first = start(client, task, **form)
        refused = client.post("/api/tasks/sleep", data={"seconds": "1"})
        assert_refused(refused, SESSION_FULL.format(1))
        sessions[state] = (client, first)

    start_worker()
    for state, (client, first) in sessions.items():
        assert wait_for(client, first, ready)[-1]["state"] == state
        start(client, "add", a=1, b=2)


# --- Short tasks on a queue of their own ------------------------------------


def test_a_short_task_runs_while_a_long_one_keeps_its_worker_busy(
    client: FlaskClient, start_workers: Callable[..., list[Worker]]
) -> None:
    """Two solo workers as the README starts them: one per queue."""
    long_tasks, _ = start_workers({"queues": "long"}, {"queues": "short"})
    slow = start(client, "sleep", seconds=30)
    wait_for(client, slow, lambda s: s["state"] == "STARTED")

    quick = [start(client, "add", a=2, b=40), start(client, "divide", a=1, b=0)]
    finished = [wait_for(client, url, ready)[-1] for url in quick]
    assert [s["state"] for s in finished] == ["SUCCESS", "FAILURE"]
    assert finished[0]["result"] == 42
    still = client.get(slow)
    assert still.status_code == 200, still.text
    assert still.json["state"] == "STARTED"
    kill(long_tasks)  # rather than wait for its warm shutdown to finish the 30 s


# --- Redis out of reach: a 503 to retry, never a hang -----------------------


def assert_queue_down(response: TestResponse) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "30"
    assert response.json["message"] == QUEUE_DOWN


ROUTES = pytest.mark.parametrize(
    ("method", "path", "form"),
    [
        ("POST", "/api/tasks/add", {"a": "1", "b": "2"}),
        ("GET", f"/api/tasks/{uuid.uuid4()}", {}),
    ],
    ids=["start", "poll"],
)


@ROUTES
def test_an_unreachable_queue_is_a_503_to_retry(
    config: dict[str, object],
    unreachable_redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    form: dict[str, str],
) -> None:
    monkeypatch.setenv("REDIS_URL", unreachable_redis_url)
    client = create_app(config).test_client()
    assert_queue_down(client.open(path, method=method, data=form))
    # The operator's log says why, with the error itself.
    [logged] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert logged.startswith("The task queue is unavailable: "), logged
    assert "ConnectionError" in logged, logged


def test_redis_is_given_up_on_after_a_few_seconds(app: Flask) -> None:
    """Socket timeouts on both connections, or a frozen Redis holds requests forever."""
    celery = app.extensions["celery"]
    backend = celery.backend.client.connection_pool.connection_kwargs
    with celery.connection_for_write() as connection:
        broker = connection.default_channel.client.connection_pool.connection_kwargs
    for name, timeouts in (("backend", backend), ("broker", broker)):
        for key in ("socket_timeout", "socket_connect_timeout"):
            seconds = timeouts.get(key)
            assert seconds is not None and 0 < seconds <= 5, f"{name} {key}={seconds}"
    # Sending a task gives up after two tries, the second at once: a request on
    # a frozen broker waits out two timeouts, not Celery's default of four.
    policy = celery.conf.task_publish_retry_policy
    assert policy["max_retries"] == 1, policy
    assert policy["interval_start"] == 0, policy


@ROUTES
@pytest.mark.usefixtures("quick_redis_timeout")
def test_a_frozen_queue_is_a_503_to_retry(
    config: dict[str, object],
    frozen_redis: str,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    form: dict[str, str],
) -> None:
    monkeypatch.setenv("REDIS_URL", frozen_redis)
    client = create_app(config).test_client()
    response = answer_within(10, lambda: client.open(path, method=method, data=form))
    assert_queue_down(response)


@pytest.mark.usefixtures("redis_url", "quick_redis_timeout")
def test_a_frozen_broker_alone_is_a_503_to_retry(
    config: dict[str, object], frozen_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The result backend answers, the broker does not: sending the task times out.
    The task that was never sent holds no slot: a second try is no 429.

    The broker is set as the README sets a Celery setting, FLASK_CELERY__...,
    which only an app built without a test config reads: so the test config
    goes into the environment too.
    """
    settings = {
        **config,
        "MAX_TASKS_PER_SESSION": 1,
        "CELERY__broker_url": frozen_redis,
    }
    for name, value in settings.items():
        monkeypatch.setenv(f"FLASK_{name}", json.dumps(value))
    client = create_app().test_client()
    for _ in range(2):
        response = answer_within(
            10, lambda: client.post("/api/tasks/add", data={"a": "1", "b": "2"})
        )
        assert_queue_down(response)


# --- Configuration: the secret, the instance file, the defaults ------------


@pytest.mark.parametrize(
    "secret",
    [None, "", 12345],  # FLASK_SECRET_KEY=12345 is read as JSON: a number
    ids=["missing", "empty", "a number"],
)
def test_the_app_refuses_to_start_without_a_secret_key(secret: object) -> None:
    with pytest.raises(RuntimeError) as error:
        create_app({"SECRET_KEY": secret})
    assert str(error.value) == MISSING_KEY


@pytest.mark.parametrize("mode", ["TESTING", "DEBUG"])
def test_in_testing_or_debug_mode_a_development_key_signs_the_forms(
    mode: str,
) -> None:
    client = create_app({mode: True}).test_client()
    assert csrf_token(client.get("/").text)


def test_a_secret_key_given_in_testing_mode_is_kept() -> None:
    assert create_app({"TESTING": True, "SECRET_KEY": "mine"}).secret_key == "mine"


def test_without_a_test_config_the_app_reads_its_instance_config_then_flask_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """instance/config.py, then FLASK_* over it; the instance folder is a
    temporary one here, where Flask would look for it."""
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda _: str(tmp_path))
    (tmp_path / "config.py").write_text('SECRET_KEY = "from-the-file"\nMAX_TASKS = 7\n')
    monkeypatch.setenv("FLASK_MAX_TASKS_PER_SESSION", "2")
    app = create_app()
    assert app.secret_key == "from-the-file"
    assert (app.config["MAX_TASKS"], app.config["MAX_TASKS_PER_SESSION"]) == (7, 2)


def test_without_redis_url_the_app_uses_the_local_redis() -> None:
    celery = create_app({"TESTING": True}).extensions["celery"]
    local = "redis://127.0.0.1:6379/0"
    assert (celery.conf.broker_url, celery.conf.result_backend) == (local, local)


def test_the_process_task_takes_half_a_second_per_item_by_default() -> None:
    """The demo's pace (the tests' workers run at SECONDS_PER_ITEM=0.2)."""
    assert create_app({"TESTING": True}).config["SECONDS_PER_ITEM"] == 0.5


def test_the_session_cookie_is_samesite_lax(client: FlaskClient) -> None:
    response = client.post("/api/tasks/add", data={"a": "1", "b": "2"})
    assert response.status_code == 202, response.text
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


def test_a_tasks_record_is_kept_for_a_day(
    client: FlaskClient, redisdb: redis.Redis
) -> None:
    task_id = start(client, "sleep", seconds=30).rsplit("/", 1)[-1]
    assert 24 * 3600 - 60 < redisdb.ttl(f"celery-task-meta-{task_id}") <= 24 * 3600


def test_an_unacknowledged_task_is_handed_out_again_after_an_hour(app: Flask) -> None:
    with app.extensions["celery"].connection_for_write() as connection:
        assert connection.default_channel.visibility_timeout == 3600


# --- Killed workers ---------------------------------------------------------


def kill(worker: Worker) -> None:
    """SIGKILL: the worker gets no chance to hand back the task it holds."""
    worker.kill()
    worker.wait()


def test_a_task_survives_its_worker_being_killed(
    client: FlaskClient, start_worker: StartWorker
) -> None:
    """Late acknowledgement: a task whose worker dies runs again on another one.

    A short visibility timeout stands in for the default hour, so the
    unacknowledged task is handed out again within seconds.
    """
    quick_redelivery = {
        "FLASK_CELERY__broker_transport_options__visibility_timeout": "1",
        "FLASK_CELERY__broker_transport_options__unacked_restore_interval": "1",
        "FLASK_CELERY__broker_transport_options__unacked_restore_throttle": "1",
    }
    first = start_worker(**quick_redelivery)
    status_url = start(client, "process", total=4)
    seen = wait_for(client, status_url, lambda s: s["state"] == "PROGRESS")
    kill(first)
    assert not seen[-1]["ready"]

    start_worker(**quick_redelivery)
    final = wait_for(client, status_url, ready, timeout=60)[-1]
    assert final["state"] == "SUCCESS"
    assert final["result"] == {"current": 4, "total": 4}


def pool_processes(redis_url: str) -> list[int]:
    """The process ids of the pool of the one worker on `redis_url`."""
    control = Celery(set_as_current=False, broker=redis_url)
    try:
        # limit=1: the one worker's answer, without waiting out the timeout.
        stats = control.control.inspect(timeout=5, limit=1).stats()
    finally:
        control.close()
    assert stats is not None, "the worker did not answer `celery inspect stats`"
    return [pid for node in stats.values() for pid in node["pool"]["processes"]]


def has_exited(pid: int) -> bool:
    """The process is gone or a zombie (dead, not yet reaped by its parent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True  # reaped already, or a system without /proc
    return stat.rsplit(")", 1)[1].split()[0] in {"Z", "X"}


def kill_pool_processes(worker: Worker, redis_url: str) -> None:
    """SIGKILL the worker's pool processes, with the worker itself paused until
    they are dead. Celery notices a child's death when its pipe closes, and
    looks for its exit status then; a child still on its way out is noticed
    only by the pool's check every 5 seconds. Pausing the worker makes the
    test take the same time on every run."""
    pids = pool_processes(redis_url)
    worker.send_signal(signal.SIGSTOP)
    try:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not all(has_exited(pid) for pid in pids):
            assert time.monotonic() < deadline, f"pool processes {pids} still alive"
            time.sleep(0.01)
    finally:
        worker.send_signal(signal.SIGCONT)


def test_a_task_whose_pool_process_dies_runs_again(
    client: FlaskClient, start_worker: StartWorker, redis_url: str
) -> None:
    """The README's workers run Celery's default prefork pool: each task runs in
    a child process. When that child dies mid-task (killed, out of memory), the
    worker hands the task back to Redis (task_reject_on_worker_lost) and a new
    child runs it, instead of marking it failed."""
    worker = start_worker(pool="prefork")
    status_url = start(client, "process", total=6)
    midway = wait_for(
        client, status_url, lambda s: s.get("progress", {}).get("current", 0) >= 3
    )
    kill_pool_processes(worker, redis_url)
    after = wait_for(client, status_url, ready)
    assert after[-1]["state"] == "SUCCESS", after[-1]
    assert after[-1]["result"] == {"current": 6, "total": 6}
    # Run again from the start, not resumed: the progress went back.
    progress = [s["progress"]["current"] for s in after if s["state"] == "PROGRESS"]
    assert min(progress, default=6) < midway[-1]["progress"]["current"], after
    kill(worker)  # rather than wait for its warm shutdown to close the pool


def test_a_worker_started_before_its_redis_waits_for_it(
    worker_before_redis: Callable[[], Worker],
) -> None:
    """broker_connection_retry_on_startup: a worker that finds no Redis at
    startup tries again instead of exiting, and answers once Redis is up."""
    worker = worker_before_redis()
    assert worker.poll() is None


@pytest.mark.usefixtures("worker")
def test_a_worker_reserves_one_task_at_a_time(redis_url: str) -> None:
    control = Celery(set_as_current=False, broker=redis_url)
    try:
        # The only worker on this test's Redis: no need to wait for others.
        stats = control.control.inspect(timeout=5, limit=1).stats()
    finally:
        control.close()
    assert stats is not None, "the worker did not answer `celery inspect stats`"
    assert [node["prefetch_count"] for node in stats.values()] == [1]


def test_a_killed_worker_strands_only_the_task_it_was_running(
    client: FlaskClient, start_worker: StartWorker
) -> None:
    """Tasks queued behind a running one are not lost with its worker.

    With the default visibility timeout (an hour), whatever a killed worker
    had reserved waits that hour; reserving one task at a time keeps the
    queued ones free for the next worker. The first worker has a thread pool:
    like the default prefork pool, it keeps fetching while a task runs (a solo
    worker fetches nothing until its task returns, so it cannot show this).
    """
    first = start_worker(pool="threads")
    slow = start(client, "process", total=100)
    sums = [start(client, "add", a=a, b=1) for a in (1, 2)]
    wait_for(client, slow, lambda s: s["state"] == "PROGRESS")
    kill(first)

    start_worker()
    finished = [wait_for(client, url, ready)[-1] for url in sums]
    stranded = client.get(slow)
    assert [status["result"] for status in finished] == [2, 3]
    assert stranded.status_code == 200, stranded.text
    assert stranded.json["state"] == "PROGRESS"  # until the visibility timeout


# --- In a browser -----------------------------------------------------------


@pytest.mark.browser
@pytest.mark.usefixtures("redis_url", "worker")
def test_the_page_runs_tasks_in_a_browser_under_a_prefix(
    config: dict[str, object],
    live_server: Callable[[DispatcherMiddleware], str],
    page: Page,
) -> None:
    """Click through the page in Chromium: progress shows, results and errors too."""
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    url = live_server(DispatcherMiddleware(NotFound(), {"/celery": app}))
    page.goto(f"{url}/celery/")

    page.locator("input[aria-label=items]").fill("10")
    page.get_by_role("button", name="Process items").click()
    row = page.locator("#tasks li").first
    bar = row.locator("progress")
    expect(row.locator(".state")).to_have_text("PROGRESS")
    expect(bar).to_be_visible()
    expect(bar).to_have_js_property("max", 10)
    # The bar moves while the task runs, not only at the end.
    page.wait_for_function(
        "bar => bar.value > 0 && bar.value < bar.max", arg=bar.element_handle()
    )
    expect(row.locator(".state")).to_have_text("SUCCESS", timeout=30_000)
    expect(bar).to_have_js_property("value", 10)
    expect(row.locator("output")).to_have_text("10 of 10 items processed")

    page.get_by_role("button", name="Divide").click()  # by the default 0
    row = page.locator("#tasks li").first
    expect(row.locator(".state")).to_have_text("FAILURE", timeout=30_000)
    expect(row.locator("output")).to_have_text("ZeroDivisionError: division by zero")
    expect(row.locator("progress")).to_be_hidden()
