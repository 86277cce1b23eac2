"""Background tasks with Celery, run by a real worker against a real Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from bs4 import BeautifulSoup
from celery import Celery
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect
from playwright.sync_api import Page
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import TestResponse

from cookbook import services
from cookbook.catalogue import ROOT
from examples.celery.task_app import create_app
from tests.conftest import answer_within
from tests.conftest import csrf_token

pytestmark = pytest.mark.services

# The worker runs as in the README: `cd examples/celery && celery -A make_celery worker`
WORKER_APP = "make_celery"
WORKER_CWD = ROOT / "examples" / "celery"
# How slow `process` is in the tests: slow enough to watch its progress.
SECONDS_PER_ITEM = "0.2"
QUEUE_DOWN = "The task queue is unavailable. Try again shortly."
Status = dict[str, Any]


def start_worker(
    broker_url: str, *, pool: str = "solo", **settings: str
) -> services.CeleryWorker:
    """A worker subprocess configured, like the web app, through the environment."""
    env = {
        "REDIS_URL": broker_url,
        "FLASK_SECRET_KEY": "worker-secret",
        "FLASK_SECONDS_PER_ITEM": SECONDS_PER_ITEM,
        **settings,
    }
    worker = services.CeleryWorker(
        WORKER_APP, cwd=WORKER_CWD, broker_url=broker_url, env=env, pool=pool
    )
    worker.start()
    return worker


@pytest.fixture(scope="module")
def worker_url(redis_server: services.RedisServer) -> str:
    """The Redis database that the module's worker listens on."""
    return redis_server.new_database()


@pytest.fixture(scope="module")
def worker(worker_url: str) -> Iterator[services.CeleryWorker]:
    worker = start_worker(worker_url)
    try:
        yield worker
    finally:
        worker.stop()


def make_app(broker_url: str, monkeypatch: pytest.MonkeyPatch, **config: Any) -> Flask:
    monkeypatch.setenv("REDIS_URL", broker_url)
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, **config})


@pytest.fixture
def app(
    worker: services.CeleryWorker, worker_url: str, monkeypatch: pytest.MonkeyPatch
) -> Flask:
    """An app whose tasks go to the running worker."""
    return make_app(worker_url, monkeypatch)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def idle_app(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """An app on a Redis database that no worker listens to: tasks stay queued."""
    return make_app(redis_url, monkeypatch)


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


def test_starting_a_task_answers_at_once_and_it_waits_queued(idle_app: Flask) -> None:
    client = idle_app.test_client()
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


def test_the_sum_arrives_through_the_poll_route(client: FlaskClient) -> None:
    # The worker imports the tasks as `task_app.tasks`, this test as
    # `examples.celery.task_app.tasks`: their explicit names are what match.
    status_url = start(client, "add", a=2, b=40)
    final = wait_for(client, status_url, ready)[-1]
    assert final["state"] == "SUCCESS"
    assert final["successful"] is True
    assert final["result"] == 42


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


def test_a_task_that_raises_shows_as_failed(client: FlaskClient) -> None:
    status_url = start(client, "divide", a=1, b=0)
    final = wait_for(client, status_url, ready)[-1]
    assert final["state"] == "FAILURE"
    assert final["successful"] is False
    assert final["error"] == "ZeroDivisionError: division by zero"
    assert "Traceback" not in str(final)


# --- Errors: JSON under /api/, the example's page elsewhere -----------------


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
    idle_app: Flask, task_id: str, message: str
) -> None:
    # JSON even when the client would rather have a page: the path decides.
    response = idle_app.test_client().get(
        f"/api/tasks/{task_id}", headers={"Accept": "text/html"}
    )
    assert response.status_code == 404, response.text
    assert response.mimetype == "application/json"
    assert response.json["error"] == "Not Found"
    assert response.json["message"].startswith(message)


def test_polling_a_start_route_is_a_json_405(idle_app: Flask) -> None:
    response = idle_app.test_client().get("/api/tasks/add")
    assert response.status_code == 405, response.text
    assert response.mimetype == "application/json"
    assert response.json["error"] == "Method Not Allowed"
    assert "POST" in response.headers["Allow"]


def test_an_unknown_page_is_the_examples_own_404_page(idle_app: Flask) -> None:
    response = idle_app.test_client().get("/no-such-page")
    assert response.status_code == 404, response.text
    assert response.mimetype == "text/html"
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1 is not None
    assert page.h1.get_text() == "404 Not Found"
    back = page.find("a", string="Back to the tasks")
    assert back is not None, response.text
    assert back["href"] == "/"


@pytest.mark.parametrize(
    ("task", "form", "message"),
    [
        ("add", {"a": "1"}, "'b' must be"),
        ("add", {"a": "one", "b": "2"}, "'a' must be"),
        ("add", {"a": "1.5", "b": "2"}, "'a' must be"),
        ("add", {"a": "1", "b": str(10**30)}, "'b' must be"),
        ("divide", {}, "'a' must be"),
        ("process", {"total": "0"}, "'total' must be"),
        ("process", {"total": "1000000"}, "'total' must be"),
        ("sleep", {"seconds": "-1"}, "'seconds' must be"),
        ("sleep", {"seconds": "86400"}, "'seconds' must be"),
    ],
)
def test_bad_input_is_a_400_and_queues_nothing(
    idle_app: Flask, redis_url: str, task: str, form: dict[str, str], message: str
) -> None:
    response = idle_app.test_client().post(f"/api/tasks/{task}", data=form)
    assert response.status_code == 400, response.text
    assert response.json["message"].startswith(message)
    with redis.Redis.from_url(redis_url) as broker:
        # No message in the queue and no QUEUED record either.
        assert broker.dbsize() == 0


def test_a_json_body_is_not_mistaken_for_a_form(idle_app: Flask) -> None:
    response = idle_app.test_client().post("/api/tasks/add", json={"a": 1, "b": 2})
    assert response.status_code == 400, response.text
    assert response.json["message"].startswith("'a' must be")


def test_starting_a_task_needs_the_csrf_token(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(redis_url, monkeypatch, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    refused = client.post("/api/tasks/add", data={"a": 1, "b": 2})
    assert refused.status_code == 400, refused.text
    assert "CSRF" in refused.json["message"]

    token = csrf_token(client.get("/").text)
    accepted = client.post("/api/tasks/add", data={"a": 1, "b": 2, "csrf_token": token})
    assert accepted.status_code == 202, accepted.text


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
    monkeypatch: pytest.MonkeyPatch, method: str, path: str, form: dict[str, str]
) -> None:
    nobody_listens = f"redis://127.0.0.1:{services.free_port()}/0"
    client = make_app(nobody_listens, monkeypatch).test_client()
    assert_queue_down(client.open(path, method=method, data=form))


def test_redis_is_given_up_on_after_a_few_seconds(idle_app: Flask) -> None:
    """Socket timeouts on both connections, or a frozen Redis holds requests forever."""
    celery = idle_app.extensions["celery"]
    backend = celery.backend.client.connection_pool.connection_kwargs
    with celery.connection_for_write() as connection:
        broker = connection.default_channel.client.connection_pool.connection_kwargs
    for name, timeouts in (("backend", backend), ("broker", broker)):
        for key in ("socket_timeout", "socket_connect_timeout"):
            seconds = timeouts.get(key)
            assert seconds is not None and 0 < seconds <= 5, f"{name} {key}={seconds}"


@ROUTES
def test_a_frozen_queue_is_a_503_to_retry(
    frozen_redis: services.RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    form: dict[str, str],
) -> None:
    client = make_app(frozen_redis.url(0), monkeypatch).test_client()
    response = answer_within(30, lambda: client.open(path, method=method, data=form))
    assert_queue_down(response)


def test_a_frozen_broker_alone_is_a_503_to_retry(
    frozen_redis: services.RedisServer,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The result backend answers, the broker does not: sending the task times out."""
    monkeypatch.setenv("FLASK_CELERY__broker_url", frozen_redis.url(0))
    client = make_app(redis_url, monkeypatch).test_client()
    response = answer_within(
        30, lambda: client.post("/api/tasks/add", data={"a": "1", "b": "2"})
    )
    assert_queue_down(response)


# --- Killed workers ---------------------------------------------------------


def test_a_task_survives_its_worker_being_killed(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Late acknowledgement: a task whose worker dies runs again on another one.

    A short visibility timeout stands in for the default hour, so the
    unacknowledged task is handed out again within seconds.
    """
    quick_redelivery = {
        "FLASK_CELERY__broker_transport_options__visibility_timeout": "2",
        "FLASK_CELERY__broker_transport_options__unacked_restore_interval": "1",
        "FLASK_CELERY__broker_transport_options__unacked_restore_throttle": "1",
    }
    client = make_app(redis_url, monkeypatch).test_client()
    first = start_worker(redis_url, **quick_redelivery)
    try:
        status_url = start(client, "process", total=10)
        seen = wait_for(client, status_url, lambda s: s["state"] == "PROGRESS")
        first.kill()
    finally:
        first.stop()
    assert not seen[-1]["ready"]

    second = start_worker(redis_url, **quick_redelivery)
    try:
        final = wait_for(client, status_url, ready, timeout=60)[-1]
    finally:
        second.stop()
    assert final["state"] == "SUCCESS"
    assert final["result"] == {"current": 10, "total": 10}


def test_a_worker_reserves_one_task_at_a_time(worker: services.CeleryWorker) -> None:
    control = Celery(set_as_current=False, broker=worker.broker_url)
    try:
        stats = control.control.inspect([worker.hostname], timeout=5).stats()
    finally:
        control.close()
    assert stats is not None, "the worker did not answer `celery inspect stats`"
    assert stats[worker.hostname]["prefetch_count"] == 1


def test_a_killed_worker_strands_only_the_task_it_was_running(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tasks queued behind a running one are not lost with its worker.

    With the default visibility timeout (an hour), whatever a killed worker
    had reserved waits that hour; reserving one task at a time keeps the
    queued ones free for the next worker. The first worker has a thread pool:
    like the default prefork pool, it keeps fetching while a task runs (a solo
    worker fetches nothing until its task returns, so it cannot show this).
    """
    client = make_app(redis_url, monkeypatch).test_client()
    first = start_worker(redis_url, pool="threads")
    try:
        slow = start(client, "process", total=100)
        sums = [start(client, "add", a=a, b=1) for a in (1, 2)]
        wait_for(client, slow, lambda s: s["state"] == "PROGRESS")
        first.kill()
    finally:
        first.stop()

    second = start_worker(redis_url)
    try:
        finished = [wait_for(client, url, ready)[-1] for url in sums]
        stranded = client.get(slow)
    finally:
        second.stop()
    assert [status["result"] for status in finished] == [2, 3]
    assert stranded.status_code == 200, stranded.text
    assert stranded.json["state"] == "PROGRESS"  # until the visibility timeout


# --- In a browser -----------------------------------------------------------


@pytest.mark.browser
def test_the_page_runs_tasks_in_a_browser_under_a_prefix(
    worker: services.CeleryWorker,
    worker_url: str,
    monkeypatch: pytest.MonkeyPatch,
    page: Page,
) -> None:
    """Click through the page in Chromium: progress shows, results and errors too."""
    app = make_app(worker_url, monkeypatch, WTF_CSRF_ENABLED=True)
    with services.LiveServer(
        DispatcherMiddleware(NotFound(), {"/celery": app})
    ) as server:
        page.goto(f"{server.url}/celery/")

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
        expect(row.locator("output")).to_have_text(
            "ZeroDivisionError: division by zero"
        )
        expect(row.locator("progress")).to_be_hidden()
