"""View decorators: login_required with a safe `next`, cached, templated, and
a view bound to a werkzeug Rule with the endpoint decorator."""

from __future__ import annotations

import io
import os
import re
import sqlite3
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
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
from werkzeug.security import DEFAULT_PBKDF2_ITERATIONS
from werkzeug.test import Client
from werkzeug.test import TestResponse

from guarded_views import auth
from guarded_views import create_app
from guarded_views import db
from guarded_views import decorators
from guarded_views import views

STRONG_PBKDF2 = f"pbkdf2:sha256:{DEFAULT_PBKDF2_ITERATIONS}"

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


def field_value(html: str, name: str) -> str:
    field = BeautifulSoup(html, "html.parser").find("input", attrs={"name": name})
    assert isinstance(field, Tag), f"the form has no {name} field"
    return str(field.get("value"))


def next_field(html: str) -> str:
    return field_value(html, "next")


def login_errors(html: str) -> list[str]:
    return [p.get_text() for p in BeautifulSoup(html, "html.parser").select(".error")]


def flashes(html: str) -> list[str]:
    return [p.get_text() for p in BeautifulSoup(html, "html.parser").select(".flash")]


def page_text(html: str) -> str:
    """The page's text as a reader sees it: whitespace runs as one space."""
    return " ".join(BeautifulSoup(html, "html.parser").get_text().split())


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
    assert "SameSite=Lax" in response.headers["Set-Cookie"]
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
    assert login_errors(response.text) == ["Wrong user name or password."]
    assert field_value(response.text, "username") == username  # kept, to correct
    assert next_field(response.text) == "/members"
    assert not is_logged_in(client)


def test_the_login_page_starts_empty_and_names_the_demo_user(
    client: FlaskClient,
) -> None:
    page = client.get("/login")
    assert page.status_code == 200, page.text
    assert field_value(page.text, "username") == ""
    assert login_errors(page.text) == []
    assert f"The demo user is {USER}, password {PASSWORD}." in (
        " ".join(BeautifulSoup(page.text, "html.parser").get_text().split())
    )


@pytest.mark.parametrize(
    ("data", "kept"),
    [({"password": PASSWORD}, ""), ({"username": USER}, USER)],
    ids=["no username", "no password"],
)
def test_a_login_form_missing_a_field_is_refused_with_the_message(
    client: FlaskClient, data: dict[str, str], kept: str
) -> None:
    response = client.post("/login", data=data)
    assert response.status_code == 400, response.text
    assert login_errors(response.text) == ["Wrong user name or password."]
    assert field_value(response.text, "username") == kept
    assert not is_logged_in(client)


def test_a_login_body_is_read_to_its_length_not_into_the_next_request(
    client: FlaskClient,
) -> None:
    """On a kept-alive connection the server's stream holds the next request
    too (Werkzeug's development server hands over the socket itself)."""
    body = f"username={USER}&password={PASSWORD}".encode()
    after = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    connection = io.BytesIO(body + after)
    response = client.post(
        "/login",
        data=body,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": connection},
    )
    assert response.status_code == 303, response.text
    assert connection.read() == after
    assert is_logged_in(client)


def test_a_login_form_sent_as_multipart_is_read_too(client: FlaskClient) -> None:
    response = client.post(
        "/login",
        data={"username": USER, "password": PASSWORD},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.text
    assert is_logged_in(client)


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\n" + USER.encode(),
        b'Content-Disposition: form-data; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nx",
    ],
    ids=["field", "file"],
)
def test_a_multipart_part_without_a_name_is_a_400_that_says_why(
    config: dict[str, object], part: bytes
) -> None:
    # With CSRF on, as deployed: its check would fail on the nameless part.
    client = create_app({**config, "WTF_CSRF_ENABLED": True}).test_client()
    body = b"--b\r\n" + part + b"\r\n--b--\r\n"
    response = client.post(
        "/login", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 400, response.text
    assert "<p>Every part of a multipart form needs a name.</p>" in response.text
    assert "Back to the start page" in response.text


LOGIN_BODY = f"username={USER}&password={PASSWORD}&pad="
MAX_BODY = 16 * 1024


@pytest.mark.parametrize(
    ("size", "status"), [(MAX_BODY, 303), (MAX_BODY + 1, 413)], ids=["at", "over"]
)
def test_a_form_body_up_to_16_kib_is_read(
    client: FlaskClient, size: int, status: int
) -> None:
    body = LOGIN_BODY + "x" * (size - len(LOGIN_BODY))
    response = client.post(
        "/login", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == status, response.text
    if status == 413:
        assert "<h1>413 Request Entity Too Large</h1>" in response.text
        assert "exceeds the capacity limit" in response.text
        assert "Back to the start page" in response.text


class InvalidChunkSize(Exception):
    """Like gunicorn's: an error of the server's own, neither OSError nor ValueError."""


class BrokenBody:
    """A request body the server fails to read, as gunicorn does on a malformed
    chunked body (a chunk size of `+0`)."""

    def read(self, size: int = -1) -> bytes:
        raise InvalidChunkSize("+0")

    readline = read


def test_a_body_the_server_cannot_read_is_a_400_page(client: FlaskClient) -> None:
    response = client.post(
        "/login",
        data=LOGIN_BODY,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": BrokenBody()},
    )
    assert response.status_code == 400, response.text
    assert "<h1>400 Bad Request</h1>" in response.text
    assert "sent a request that this server could not understand" in response.text
    assert "Back to the start page" in response.text


@pytest.mark.parametrize("password_hashing", [None])  # the app's own, not the quick
def test_passwords_are_stored_only_as_salted_hashes(app: Flask) -> None:
    with app.app_context():
        query = "SELECT password_hash FROM users WHERE name = ?"
        stored = db.get_db().execute(query, (USER,)).fetchone()["password_hash"]
    assert PASSWORD not in stored
    # Werkzeug's default method at its full cost (the tests' quick hashes are not).
    method = stored.split("$", 1)[0]
    assert method.startswith("scrypt:") or method == STRONG_PBKDF2, method
    assert check_password_hash(stored, PASSWORD)


def test_logging_out_ends_the_session(client: FlaskClient) -> None:
    log_in(client)
    response = client.post("/logout")
    assert response.status_code == 303, response.text
    assert response.location == "/"
    assert flashes(client.get("/").text) == ["Logged out."]
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
    assert "POST" in response.allow  # the error keeps its Allow header
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


def test_a_cookie_signed_with_another_key_is_refused(
    config: dict[str, object],
) -> None:
    client = create_app({**config, "SECRET_KEY": "one"}).test_client()
    log_in(client)
    replay = create_app({**config, "SECRET_KEY": "two"}).test_client()
    replay.set_cookie("session", session_cookie(client))
    assert not is_logged_in(replay)


# --- A deployment's defaults --------------------------------------------------


def test_the_users_database_is_in_the_instance_folder(instance_folder: Path) -> None:
    app = create_app({"TESTING": True})  # and a development key, made up
    assert app.secret_key
    assert app.config["DATABASE"] == os.path.join(instance_folder, "users.sqlite")
    assert (instance_folder / "users.sqlite").is_file()


def test_the_database_folder_is_made_if_missing(
    config: dict[str, object], tmp_path: Path
) -> None:
    database = tmp_path / "data" / "users" / "users.sqlite"
    client = create_app({**config, "DATABASE": str(database)}).test_client()
    assert log_in(client).status_code == 303
    assert database.is_file()


@pytest.fixture
def deployed(instance_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test config, no debug, no key in the environment: as deployed."""
    for name in ("FLASK_SECRET_KEY", "FLASK_DEBUG", "FLASK_TESTING"):
        monkeypatch.delenv(name, raising=False)
    return instance_folder


def test_a_deployment_reads_its_key_from_instance_config(deployed: Path) -> None:
    deployed.mkdir()
    (deployed / "config.py").write_text('SECRET_KEY = "from-instance-config"\n')
    assert create_app().secret_key == "from-instance-config"


def test_a_deployment_reads_its_key_from_the_environment(
    deployed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-the-environment")
    assert create_app().secret_key == "from-the-environment"  # no config.py: fine


@pytest.mark.parametrize("value", [None, "12345", '""'], ids=["none", "int", "empty"])
def test_a_deployment_without_a_usable_key_refuses_to_start(
    deployed: Path, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is not None:
        monkeypatch.setenv("FLASK_SECRET_KEY", value)  # read as JSON
    with pytest.raises(RuntimeError, match="Set a secret key: export FLASK_SECRET"):
        create_app()


def test_a_request_for_an_untrusted_host_is_a_plain_400(
    config: dict[str, object],
) -> None:
    app = create_app({**config, "TRUSTED_HOSTS": ["guarded.example"]})
    response = app.test_client().get("/", headers={"Host": "evil.example"})
    assert response.status_code == 400, response.text
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.text == "400 Bad Request: Host 'evil.example' is not trusted."


@pytest.mark.parametrize("path", ["/api", "/api/nowhere"])
def test_an_unknown_api_path_is_a_json_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.json is not None and response.json["error"] == "Not Found"


def test_a_request_uses_one_connection_and_closes_it_after(app: Flask) -> None:
    with app.app_context():
        connection = db.get_db()
        assert db.get_db() is connection
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        connection.execute("SELECT 1")


# --- templated ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "template", "text"),
    [
        (
            "/",
            "pages/index.html",
            "@cached(timeout=60); reload it, and computed_at stays the same for"
            " 60 seconds.",
        ),
        ("/primes?below=30", "primes.html", "Primes below 30"),
        ("/about", "about.html", "No @route here"),
    ],
    ids=["from the endpoint", "named", "from a dotless endpoint, view returns None"],
)
def test_templated_renders_the_template_for_the_endpoint(
    client: FlaskClient, rendered: list[str], path: str, template: str, text: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert rendered[0] == template
    assert text in page_text(response.text)


def test_templated_passes_the_views_values_to_the_template(
    client: FlaskClient,
) -> None:
    response = client.get("/primes?below=100")
    assert response.status_code == 200, response.text
    heading = BeautifulSoup(response.text, "html.parser").find("h1")
    assert heading is not None and heading.get_text() == "Primes below 100"
    assert field_value(response.text, "below") == "100"
    assert (
        "There are 25; the largest are 53, 59, 61, 67, 71, 73, 79, 83, 89, 97."
        in page_text(response.text)
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


@pytest.mark.parametrize(
    ("below", "count", "last"),
    [("2", 0, []), ("2000000", 148_933, [1_999_993])],
    ids=["smallest", "largest"],
)
def test_the_limits_of_below_are_accepted(
    client: FlaskClient, below: str, count: int, last: list[int]
) -> None:
    response = client.get("/api/primes", query_string={"below": below})
    assert response.status_code == 200, response.text
    assert response.json is not None
    assert response.json["count"] == count
    assert response.json["last"][-1:] == last


def test_the_api_answers_the_limit_the_count_the_last_ten_and_when(
    client: FlaskClient,
) -> None:
    response = client.get("/api/primes?below=100")
    assert response.status_code == 200, response.text
    answer = response.json
    assert answer is not None
    computed_at = answer.pop("computed_at")
    assert answer == {
        "below": 100,
        "count": 25,
        "last": [53, 59, 61, 67, 71, 73, 79, 83, 89, 97],
    }
    # UTC, to the millisecond.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", computed_at)


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


def test_the_apps_cache_keeps_256_answers_then_drops_the_oldest(app: Flask) -> None:
    cache = app.extensions["view_cache"]
    for i in range(256):
        cache.set(f"/api/primes?below={i}", i, 60)
    assert cache.get("/api/primes?below=0") == 0  # all 256 kept
    cache.set("/api/primes?below=256", 256, 60)
    assert cache.get("/api/primes?below=0") is None
    assert cache.get("/api/primes?below=1") == 1


def test_a_full_cache_drops_expired_entries_before_live_ones() -> None:
    now = [0.0]
    cache = decorators.TimedCache(max_entries=2, clock=lambda: now[0])
    cache.set("live", 1, 60)
    cache.set("expiring", 2, 10)
    now[0] = 10.0  # "expiring" expires right now
    cache.set("new", 3, 60)
    assert (cache.get("live"), cache.get("expiring"), cache.get("new")) == (1, None, 3)


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
