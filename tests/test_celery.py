"""Background tasks with Celery, run by a real worker against a real Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect
from playwright.sync_api import Page
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from cookbook import services
from examples.celery import create_app

pytestmark = pytest.mark.services

WORKER_APP = "examples.celery.make_celery"
# How slow `process` is in the tests: slow enough to watch its progress.
SECONDS_PER_ITEM = "0.2"
Status = dict[str, Any]


def start_worker(broker_url: str, **settings: str) -> services.CeleryWorker:
    """A worker subprocess configured, like the web app, through the environment."""
    env = {
        "REDIS_URL": broker_url,
        "FLASK_SECRET_KEY": "worker-secret",
        "FLASK_SECONDS_PER_ITEM": SECONDS_PER_ITEM,
        **settings,
    }
    worker = services.CeleryWorker(WORKER_APP, broker_url=broker_url, env=env)
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
        assert response.status_code == 200, response.json
        seen.append(response.json)
        if done(seen[-1]):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"not done after {timeout} s; last answer: {seen[-1:]}")


def ready(status: Status) -> bool:
    return bool(status["ready"])


def start(client: FlaskClient, task: str, **form: object) -> str:
    response = client.post(f"/tasks/{task}", data=form)
    assert response.status_code == 202, response.json
    status_url: str = response.json["status_url"]
    assert response.headers["Location"] == status_url
    return status_url


def test_the_page_offers_a_form_for_every_task(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    for task in ("add", "divide", "process", "sleep"):
        assert f'action="/tasks/{task}"' in page
    assert page.count('name="csrf_token"') == 4


def test_starting_a_task_answers_at_once_and_it_waits_queued(idle_app: Flask) -> None:
    client = idle_app.test_client()
    response = client.post("/tasks/sleep", data={"seconds": 30})
    assert response.status_code == 202
    task_id = response.json["task_id"]
    assert response.json["status_url"] == f"/tasks/{task_id}"

    status = client.get(f"/tasks/{task_id}").json
    assert status == {
        "task_id": task_id,
        "state": "QUEUED",
        "ready": False,
        "successful": False,
    }


def test_the_sum_arrives_through_the_poll_route(client: FlaskClient) -> None:
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


@pytest.mark.parametrize(
    "task_id",
    [str(uuid.uuid4()), "not-a-uuid", "x" * 5000, "%00", "../add"],
    ids=["never-issued", "not-a-uuid", "very-long", "nul", "traversal"],
)
def test_an_unknown_task_id_is_a_json_404(idle_app: Flask, task_id: str) -> None:
    response = idle_app.test_client().get(f"/tasks/{task_id}")
    assert response.status_code == 404
    assert response.json["error"] == "Not Found"


def test_errors_are_a_page_for_browsers(idle_app: Flask) -> None:
    response = idle_app.test_client().get(
        f"/tasks/{uuid.uuid4()}", headers={"Accept": "text/html"}
    )
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "No such task." in response.get_data(as_text=True)


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
    response = idle_app.test_client().post(f"/tasks/{task}", data=form)
    assert response.status_code == 400
    assert response.json["message"].startswith(message)
    with redis.Redis.from_url(redis_url) as broker:
        assert broker.llen("celery") == 0


def test_a_json_body_is_not_mistaken_for_a_form(idle_app: Flask) -> None:
    response = idle_app.test_client().post("/tasks/add", json={"a": 1, "b": 2})
    assert response.status_code == 400


def test_starting_a_task_needs_the_csrf_token(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(redis_url, monkeypatch, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    refused = client.post("/tasks/add", data={"a": 1, "b": 2})
    assert refused.status_code == 400
    assert "CSRF" in refused.json["message"]

    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    accepted = client.post("/tasks/add", data={"a": 1, "b": 2, "csrf_token": token})
    assert accepted.status_code == 202


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
        expect(bar).to_have_js_property("max", 10)
        # The bar moves while the task runs, not only at the end.
        page.wait_for_function(
            "bar => bar.value > 0 && bar.value < bar.max", arg=bar.element_handle()
        )
        expect(row.locator(".state")).to_have_text("SUCCESS", timeout=30_000)
        expect(bar).to_have_js_property("value", 1)
        expect(row.locator("output")).to_have_text('{"current":10,"total":10}')

        page.get_by_role("button", name="Divide").click()  # by the default 0
        row = page.locator("#tasks li").first
        expect(row.locator(".state")).to_have_text("FAILURE", timeout=30_000)
        expect(row.locator("output")).to_have_text(
            "ZeroDivisionError: division by zero"
        )


@pytest.mark.parametrize(
    ("method", "path", "form"),
    [
        ("POST", "/tasks/add", {"a": "1", "b": "2"}),
        ("GET", f"/tasks/{uuid.uuid4()}", {}),
    ],
    ids=["start", "poll"],
)
def test_an_unreachable_queue_is_a_503_to_retry(
    monkeypatch: pytest.MonkeyPatch, method: str, path: str, form: dict[str, str]
) -> None:
    nobody_listens = f"redis://127.0.0.1:{services.free_port()}/0"
    client = make_app(nobody_listens, monkeypatch).test_client()
    response = client.open(path, method=method, data=form)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert (
        response.json["message"] == "The task queue is unavailable. Try again shortly."
    )
