"""View decorators: login_required with a safe `next`, cached, templated, and
a view bound to a werkzeug Rule with the endpoint decorator."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask import Response
from flask import template_rendered
from flask.testing import FlaskClient
from jinja2 import Template
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.routing import Rule
from werkzeug.security import check_password_hash
from werkzeug.test import Client
from werkzeug.test import TestResponse

from guarded_views import auth
from guarded_views import create_app
from guarded_views import db
from guarded_views import decorators
from guarded_views import views

USER, PASSWORD = auth.DEMO_USER, auth.DEMO_PASSWORD


def log_in(
    client: FlaskClient | Client,
    username: str = USER,
    password: str = PASSWORD,
    next: str = "",
) -> TestResponse:
    return client.post(
        "/login", data={"username": username, "password": password, "next": next}
    )


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/members").status_code == 200


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def next_field(html: str) -> str:
    field = BeautifulSoup(html, "html.parser").find("input", attrs={"name": "next"})
    assert isinstance(field, Tag), "the login form has no next field"
    return str(field.get("value"))


@pytest.fixture
def rendered(app: Flask) -> Iterator[list[str]]:
    """The names of the templates rendered during the test, in order."""
    names: list[str] = []

    def record(sender: Flask, template: Template, **extra: Any) -> None:
        names.append(str(template.name))

    with template_rendered.connected_to(record, app):
        yield names


# --- functools.wraps ----------------------------------------------------------


def test_every_endpoint_is_named_after_its_view(app: Flask) -> None:
    endpoints = {
        rule.endpoint: app.view_functions[rule.endpoint].__name__
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    }
    assert endpoints == {
        "auth.login": "login",
        "auth.logout": "logout",
        "pages.index": "index",
        "pages.members": "members",
        "pages.primes": "primes",
        "pages.api_primes": "api_primes",
        "about": "about",
    }


@pytest.mark.parametrize(
    "decorate",
    [decorators.login_required, decorators.cached(), decorators.templated()],
    ids=["login_required", "cached", "templated"],
)
def test_each_decorator_keeps_the_views_name_and_wraps_it(
    decorate: Callable[[Callable[[], str]], Callable[[], Any]],
) -> None:
    def secret_page() -> str:
        """The docstring."""
        return "secret"

    wrapped = decorate(secret_page)
    assert wrapped is not secret_page
    assert wrapped.__name__ == "secret_page"
    assert wrapped.__doc__ == "The docstring."
    assert wrapped.__wrapped__ is secret_page  # type: ignore[attr-defined]


def test_stacked_decorators_unwrap_to_the_view() -> None:
    members = views.members
    assert members.__name__ == "members"
    # @login_required around @templated() around the function itself.
    inner = members.__wrapped__  # type: ignore[attr-defined]
    assert inner.__name__ == "members"
    assert inner.__wrapped__.__name__ == "members"
    assert not hasattr(inner.__wrapped__, "__wrapped__")


# --- login_required and next --------------------------------------------------


def test_a_visitor_is_sent_to_log_in_with_the_way_back(client: FlaskClient) -> None:
    response = client.get("/members?tab=2")
    assert response.status_code == 303, response.text
    location = urlsplit(response.location)
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/members?tab=2"]}
    page = client.get(response.location)
    assert "Log in to see that page." in page.text
    assert next_field(page.text) == "/members?tab=2"


def test_logging_in_leads_back_to_next(client: FlaskClient) -> None:
    response = log_in(client, next="/members?tab=2")
    assert response.status_code == 303, response.text
    assert response.location == "/members?tab=2"
    page = client.get("/members")
    assert page.status_code == 200, page.text
    assert f"Welcome, {USER}." in page.text
    assert f"Logged in as {USER}." in page.text


def test_logging_in_without_next_leads_to_the_start_page(client: FlaskClient) -> None:
    response = log_in(client)
    assert response.status_code == 303, response.text
    assert response.location == "/"


UNSAFE_TARGETS = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/members\r\nSet-Cookie: x=1",
    " /members",
    "evil.example",
    "members",
]


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_an_off_site_next_is_never_followed(client: FlaskClient, target: str) -> None:
    assert auth.safe_next(target) is None
    assert next_field(client.get("/login", query_string={"next": target}).text) == ""
    response = log_in(client, next=target)
    assert response.status_code == 303, response.text
    assert response.location == "/"
    assert is_logged_in(client)


@pytest.mark.parametrize(
    "target", ["/", "/members", "/primes?below=100", "/a/b?x=//y#z", "/%2F%2Fevil"]
)
def test_a_path_on_this_site_is_a_safe_next(target: str) -> None:
    assert auth.safe_next(target) == target


def test_next_keeps_the_prefix_the_app_is_mounted_under(app: Flask) -> None:
    client = Client(DispatcherMiddleware(NotFound(), {"/site": app}))
    sent = client.get("/site/members")
    assert sent.status_code == 303, sent.text
    assert urlsplit(sent.location).path == "/site/login"
    assert parse_qs(urlsplit(sent.location).query) == {"next": ["/members"]}
    response = client.post(
        "/site/login",
        data={"username": USER, "password": PASSWORD, "next": "/members"},
    )
    assert response.status_code == 303, response.text
    assert response.location == "/site/members"


def test_a_raw_byte_in_the_query_string_is_no_error(client: FlaskClient) -> None:
    # A WSGI server passes the query's bytes on as they came, here a raw é.
    response = client.get("/members", environ_overrides={"QUERY_STRING": "q=\xe9"})
    assert response.status_code == 303, response.text
    assert urlsplit(response.location).path == "/login"


# --- Logging in and out -------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password"),
    [(USER, "wrong"), ("nobody", PASSWORD), (USER, ""), ("", "")],
    ids=["wrong password", "unknown user", "no password", "nothing"],
)
def test_a_wrong_login_is_refused_with_the_same_message(
    client: FlaskClient, username: str, password: str
) -> None:
    response = log_in(client, username, password, next="/members")
    assert response.status_code == 400, response.text
    assert "Wrong user name or password." in response.text
    assert next_field(response.text) == "/members"
    assert not is_logged_in(client)


def test_passwords_are_stored_only_as_salted_hashes(app: Flask) -> None:
    with app.app_context():
        query = "SELECT password_hash FROM users WHERE name = ?"
        stored = db.get_db().execute(query, (USER,)).fetchone()["password_hash"]
    assert PASSWORD not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))
    assert check_password_hash(stored, PASSWORD)


def test_logging_out_ends_the_session(client: FlaskClient) -> None:
    log_in(client)
    response = client.post("/logout")
    assert response.status_code == 303, response.text
    assert response.location == "/"
    assert "Logged out." in client.get("/").text
    assert not is_logged_in(client)


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "the client has no session cookie"
    return cookie.value


def test_a_session_cookie_copied_before_logout_is_refused_after_it(
    app: Flask, client: FlaskClient
) -> None:
    log_in(client)
    copy = session_cookie(client)
    assert client.post("/logout").status_code == 303
    replay = app.test_client()
    replay.set_cookie("session", copy)
    response = replay.get("/members")
    assert response.status_code == 303, response.text
    assert urlsplit(response.location).path == "/login"
    start = replay.get("/")
    assert "Log in to see that page." in start.text
    assert "Log out" not in start.text  # the header has no user either


def test_logging_out_in_one_browser_ends_the_session_in_another(
    app: Flask, client: FlaskClient
) -> None:
    laptop, phone = client, app.test_client()
    log_in(laptop)
    log_in(phone)
    assert is_logged_in(phone)
    assert laptop.post("/logout").status_code == 303
    response = phone.get("/members")
    assert response.status_code == 303, response.text
    assert urlsplit(response.location).path == "/login"


def test_logging_in_again_after_logout_opens_a_new_session_only(
    app: Flask, client: FlaskClient
) -> None:
    log_in(client)
    old = session_cookie(client)
    client.post("/logout")
    response = log_in(client)
    assert response.status_code == 303, response.text
    page = client.get("/members")
    assert page.status_code == 200, page.text
    assert f"Welcome, {USER}." in page.text
    replay = app.test_client()
    replay.set_cookie("session", old)
    assert not is_logged_in(replay)


def test_a_logout_through_one_worker_ends_the_session_in_the_others(
    config: dict[str, object],
) -> None:
    # Two apps on one database, as gunicorn's worker processes are.
    first, second = create_app(config), create_app(config)
    client = first.test_client()
    log_in(client)
    replay = second.test_client()
    replay.set_cookie("session", session_cookie(client))
    assert is_logged_in(replay)
    logout = client.post("/logout")
    assert logout.status_code == 303, logout.text
    response = replay.get("/members")
    assert response.status_code == 303, response.text
    assert urlsplit(response.location).path == "/login"
    assert "Log in to see that page." in replay.get("/").text


def test_a_logout_outlives_a_restart(config: dict[str, object]) -> None:
    client = create_app(config).test_client()
    log_in(client)
    old = session_cookie(client)
    logout = client.post("/logout")
    assert logout.status_code == 303, logout.text
    restarted = create_app(config)  # on the same database
    replay = restarted.test_client()
    replay.set_cookie("session", old)
    response = replay.get("/members")
    assert response.status_code == 303, response.text
    assert urlsplit(response.location).path == "/login"
    fresh = restarted.test_client()  # the demo user can still log in
    login = log_in(fresh)
    assert login.status_code == 303, login.text
    assert is_logged_in(fresh)


def test_logging_out_takes_a_post_not_a_link(client: FlaskClient) -> None:
    log_in(client)
    response = client.get("/logout")
    assert response.status_code == 405, response.text
    assert "Back to the start page" in response.text
    assert is_logged_in(client)


def test_login_and_logout_forms_need_their_csrf_token(
    config: dict[str, object],
) -> None:
    client = create_app({**config, "WTF_CSRF_ENABLED": True}).test_client()
    refused = log_in(client)
    assert refused.status_code == 400, refused.text
    assert "The CSRF token is missing." in refused.text
    assert "Back to the start page" in refused.text

    token = csrf_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": USER, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303, response.text
    assert is_logged_in(client)

    assert client.post("/logout").status_code == 400
    assert is_logged_in(client)
    token = csrf_token(client.get("/").text)  # the logout form in the header
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert not is_logged_in(client)


# --- templated ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/", "pages/index.html"),
        ("/primes?below=30", "primes.html"),
        ("/about", "about.html"),
    ],
    ids=["from the endpoint", "named", "from a dotless endpoint, view returns None"],
)
def test_templated_renders_the_template_for_the_endpoint(
    client: FlaskClient, rendered: list[str], path: str, template: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert rendered[0] == template


def test_templated_passes_the_views_values_to_the_template(
    client: FlaskClient,
) -> None:
    response = client.get("/primes?below=30")
    assert response.status_code == 200, response.text
    assert "There are 10; the largest are 2, 3, 5, 7, 11, 13, 17, 19, 23, 29." in (
        " ".join(response.text.split())
    )


def test_templated_hands_a_redirect_on_unchanged(
    client: FlaskClient, rendered: list[str]
) -> None:
    response = client.get("/primes")
    assert response.status_code == 302, response.text
    assert response.location == "/primes?below=100"
    assert rendered == []


def test_login_required_runs_before_templated(
    client: FlaskClient, rendered: list[str]
) -> None:
    assert client.get("/members").status_code == 303
    assert rendered == []


@pytest.mark.parametrize("below", ["", "1", "abc", "2000001", "1e3", "\u0663"])
def test_a_bad_limit_is_a_400_that_says_why(client: FlaskClient, below: str) -> None:
    page = client.get("/primes", query_string={"below": below})
    assert page.status_code == 400, page.text
    assert "Give ?below= a whole number from 2 to 2,000,000." in page.text
    api = client.get("/api/primes", query_string={"below": below})
    assert api.status_code == 400, api.text
    assert api.json == {
        "error": "Bad Request",
        "message": "Give ?below= a whole number from 2 to 2,000,000.",
    }


# --- The endpoint decorator ---------------------------------------------------


def test_about_is_a_werkzeug_rule_answered_by_its_endpoint(
    app: Flask, client: FlaskClient
) -> None:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "about")
    assert isinstance(rule, Rule)
    assert rule.rule == "/about"
    response = client.get("/about")
    assert response.status_code == 200, response.text
    assert "<h1>About</h1>" in response.text


def test_the_rule_takes_only_reads(client: FlaskClient) -> None:
    response = client.post("/about")
    assert response.status_code == 405, response.text
    assert "Back to the start page" in response.text


# --- cached -------------------------------------------------------------------


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The limits primes_below() is called with: one per answer not from the cache."""
    calls: list[int] = []
    real = views.primes_below

    def counting(n: int) -> list[int]:
        calls.append(n)
        return real(n)

    monkeypatch.setattr(views, "primes_below", counting)
    return calls


def test_a_cached_view_runs_once_per_path_and_query(
    client: FlaskClient, computed: list[int]
) -> None:
    first = client.get("/api/primes?below=1000")
    second = client.get("/api/primes?below=1000")
    assert first.status_code == second.status_code == 200, first.text
    assert second.json == first.json
    assert first.json is not None and first.json["count"] == 168
    assert computed == [1000]
    other = client.get("/api/primes?below=100")
    assert other.json is not None and other.json["count"] == 25
    assert computed == [1000, 100]


def test_a_cached_answer_expires_after_its_timeout(
    app: Flask, client: FlaskClient, computed: list[int]
) -> None:
    now = [1000.0]
    app.extensions["view_cache"].clock = lambda: now[0]
    client.get("/api/primes?below=50")
    now[0] += views.CACHE_SECONDS - 1
    client.get("/api/primes?below=50")
    assert computed == [50]
    now[0] += 1
    client.get("/api/primes?below=50")
    assert computed == [50, 50]


def test_errors_are_not_cached(
    app: Flask, client: FlaskClient, computed: list[int]
) -> None:
    for _ in range(2):
        assert client.get("/api/primes?below=nope").status_code == 400
    # The key @cached would have stored the answer under.
    assert app.extensions["view_cache"].get("/api/primes?below=nope") is None


def test_each_app_has_a_cache_of_its_own(
    config: dict[str, object], computed: list[int]
) -> None:
    for _ in range(2):
        assert create_app(config).test_client().get("/api/primes").json
    assert computed == [100, 100]


def test_a_cached_answer_carries_no_earlier_visitors_cookie(app: Flask) -> None:
    answered: list[Response] = []

    @app.after_request
    def set_a_cookie_on_the_first_answer(response: Response) -> Response:
        if not answered:
            response.set_cookie("visitor", "first")
        answered.append(response)
        return response

    first = app.test_client().get("/api/primes")
    assert "visitor=first" in first.headers["Set-Cookie"]
    second = app.test_client().get("/api/primes")
    assert second.json == first.json  # from the cache
    assert "Set-Cookie" not in second.headers


def test_the_cache_drops_its_oldest_entry_when_full() -> None:
    cache = decorators.TimedCache(max_entries=2, clock=lambda: 0.0)
    cache.set("a", 1, 60)
    cache.set("b", 2, 60)
    cache.set("c", 3, 60)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)


def test_only_200_answers_are_cached() -> None:
    app = Flask(__name__)
    decorators.init_app(app)
    calls: list[str] = []

    @app.get("/busy")
    @decorators.cached()
    def busy() -> tuple[dict[str, str], int]:
        calls.append("busy")
        return {"error": "try again"}, 503

    client = app.test_client()
    assert [client.get("/busy").status_code for _ in range(2)] == [503, 503]
    assert calls == ["busy", "busy"]
