"""Deferred request callbacks: a cookie set before its response exists."""

from __future__ import annotations

import io
import re
from http import HTTPStatus
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import abort
from flask import Flask
from flask import g
from flask.testing import FlaskClient
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_cookie
from werkzeug.test import TestResponse

from visitor_cookie import create_app
from visitor_cookie.visitor import COOKIE_MAX_AGE
from visitor_cookie.visitor import COOKIE_NAME

A_VALID_ID = "AbCdEfGhIjKlMnOpQrStUv"


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def visitor_cookies(response: TestResponse) -> list[str]:
    """The response's Set-Cookie headers for the visitor id."""
    return [
        header
        for header in response.headers.getlist("Set-Cookie")
        if header.startswith(f"{COOKIE_NAME}=")
    ]


def cookie_value(header: str) -> str:
    return parse_cookie(header.split(";", 1)[0])[COOKIE_NAME]


def flashes(response: TestResponse) -> list[str]:
    """The flashed messages the page shows, in order."""
    soup = BeautifulSoup(response.text, "html.parser")
    return [p.get_text() for p in soup.select("main > p.flash")]


def shown_id(response: TestResponse) -> str:
    match = re.search(r'<code id="visitor-id">([^<]+)</code>', response.text)
    assert match, response.text
    return match.group(1)


# --- The first response sets the cookie ---------------------------------------------


def test_a_first_visit_gets_an_id_and_the_cookie_carrying_it(
    client: FlaskClient,
) -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert "Welcome, new visitor" in response.text
    [header] = visitor_cookies(response)
    # The view showed the id that before_request decided; the callback that ran
    # after the view put the same id in the cookie.
    assert cookie_value(header) == shown_id(response)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", shown_id(response))


def test_the_cookie_has_safe_attributes(client: FlaskClient) -> None:
    [header] = visitor_cookies(client.get("/"))
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert {"httponly", "max-age", "path"} <= attributes
    assert f"Max-Age={COOKIE_MAX_AGE}" in header
    assert "SameSite=Lax" in header
    assert "Path=/;" in header or header.endswith("Path=/")
    assert "secure" not in attributes  # plain HTTP: a Secure cookie would be lost


def test_over_https_the_cookie_is_secure(client: FlaskClient) -> None:
    [header] = visitor_cookies(client.get("/", base_url="https://localhost"))
    assert "Secure" in header


def test_under_a_mount_prefix_the_cookie_is_for_that_prefix(
    client: FlaskClient,
) -> None:
    response = client.get("/", base_url="http://localhost/mounted")
    assert response.status_code == 200, response.text
    [header] = visitor_cookies(response)
    assert "Path=/mounted/" in header


def test_the_cookie_is_set_once_not_on_every_request(client: FlaskClient) -> None:
    first = client.get("/")
    visitor_id = shown_id(first)
    for _ in range(3):
        response = client.get("/")  # the client sends the cookie back
        assert response.status_code == 200, response.text
        assert visitor_cookies(response) == []
        assert "Welcome back" in response.text
        assert shown_id(response) == visitor_id


def test_each_new_visitor_gets_a_different_id(app: Flask) -> None:
    ids = {shown_id(app.test_client().get("/")) for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize(
    "bad_value", ["", "short", "x" * 23, "not/a/valid/visitor/id", "A" * 21 + "!"]
)
def test_a_cookie_that_is_not_a_visitor_id_is_replaced(
    client: FlaskClient, bad_value: str
) -> None:
    client.set_cookie(COOKIE_NAME, bad_value)
    response = client.get("/")
    assert response.status_code == 200, response.text
    [header] = visitor_cookies(response)
    assert cookie_value(header) not in {bad_value, ""}


def test_a_valid_cookie_is_kept(client: FlaskClient) -> None:
    client.set_cookie(COOKIE_NAME, A_VALID_ID)
    response = client.get("/")
    assert visitor_cookies(response) == []
    assert shown_id(response) == A_VALID_ID


# --- Error responses carry it too -----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("GET", "/no/such/page", 404, set()),  # no route: raised before any view
        ("GET", "/forget", 405, {"OPTIONS", "POST"}),
    ],
    ids=["no route", "wrong method"],
)
def test_an_error_page_still_carries_the_cookie(
    client: FlaskClient, method: str, path: str, status: int, allow: set[str]
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status, response.text
    assert "Back to your visit" in response.text  # the app's own error page
    assert set(response.allow) == allow  # what a 405 says to use instead
    [header] = visitor_cookies(response)
    assert cookie_value(header)


@pytest.fixture
def failing_view(app: Flask) -> Flask:
    """A view that fails after before_request has registered the callback."""

    def missing() -> ResponseReturnValue:
        assert g.new_visitor  # the callback is waiting for a response
        abort(404, "This view found nothing.")

    def crashing() -> ResponseReturnValue:
        raise RuntimeError("the view broke")

    app.add_url_rule("/missing", view_func=missing)
    app.add_url_rule("/crashing", view_func=crashing)
    return app


def test_a_view_that_raises_an_http_error_still_sets_the_cookie(
    failing_view: Flask,
) -> None:
    response = failing_view.test_client().get("/missing")
    assert response.status_code == 404, response.text
    assert "This view found nothing." in response.text
    assert len(visitor_cookies(response)) == 1


def test_even_a_500_page_sets_the_cookie(failing_view: Flask) -> None:
    failing_view.testing = False  # answer with the error page instead of raising
    response = failing_view.test_client().get("/crashing")
    assert response.status_code == 500, response.text
    assert "Back to your visit" in response.text
    assert len(visitor_cookies(response)) == 1


# --- Forgetting the id (CSRF on) ----------------------------------------------------


@pytest.fixture
def csrf_client(config: dict[str, object]) -> FlaskClient:
    return create_app({**config, "WTF_CSRF_ENABLED": True}).test_client()


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_forget_me_deletes_the_cookie_and_a_new_id_follows(
    csrf_client: FlaskClient, content_type: str
) -> None:
    page = csrf_client.get("/")
    old_id = shown_id(page)
    response = csrf_client.post(
        "/forget", data={"csrf_token": csrf_token(page.text)}, content_type=content_type
    )
    assert response.status_code == 303, response.text
    assert response.location == "/"
    [header] = visitor_cookies(response)
    assert cookie_value(header) == ""
    assert "Max-Age=0" in header

    assert csrf_client.get_cookie(COOKIE_NAME) is None
    after = csrf_client.get("/")
    assert flashes(after) == [f"Forgot visitor id {old_id}."]
    assert "Welcome, new visitor" in after.text
    assert shown_id(after) != old_id
    [header] = visitor_cookies(after)
    assert cookie_value(header) == shown_id(after)


def cookie_attributes(header: str) -> set[str]:
    """A Set-Cookie header's attributes, less its value and its lifetime."""
    _, *attributes = (part.strip() for part in header.split(";"))
    return {a for a in attributes if not a.startswith(("Expires=", "Max-Age="))}


@pytest.mark.parametrize(
    "root",
    ["http://localhost", "https://localhost", "http://localhost/mounted"],
    ids=["http", "https", "mounted"],
)
def test_forget_me_deletes_the_cookie_with_the_attributes_that_set_it(
    client: FlaskClient, root: str
) -> None:
    """Browsers match a deletion by its Path and Secure too: with other
    attributes it would leave the id in place."""
    [set_header] = visitor_cookies(client.get("/", base_url=root))
    response = client.post("/forget", base_url=root)
    assert response.status_code == 303, response.text
    [deletion] = visitor_cookies(response)
    assert cookie_value(deletion) == ""
    assert cookie_attributes(deletion) == cookie_attributes(set_header)


def test_forget_me_without_a_csrf_token_is_refused(csrf_client: FlaskClient) -> None:
    visitor_id = shown_id(csrf_client.get("/"))
    response = csrf_client.post("/forget")
    assert response.status_code == 400, response.text
    assert "The CSRF token is missing." in response.text
    assert "Back to your visit" in response.text
    assert visitor_cookies(response) == []
    cookie = csrf_client.get_cookie(COOKIE_NAME)
    assert cookie is not None
    assert cookie.value == visitor_id


def test_forget_me_with_no_cookie_has_nothing_to_forget(client: FlaskClient) -> None:
    response = client.post("/forget")
    assert response.status_code == 303, response.text
    # No deletion, only the first id that any cookieless request gets.
    [header] = visitor_cookies(response)
    assert cookie_value(header) != ""
    page = client.get("/")
    assert flashes(page) == [
        "Your browser sent no visitor id, so there was nothing to forget."
    ]
    assert "Welcome back" in page.text


# --- Bad input: a 400 or 413 page of the app's own, never a 500 ---------------------


def assert_error_page(response: TestResponse, status: int, message: str) -> None:
    """The app's error page, with the status and what went wrong."""
    assert response.status_code == status, response.text
    assert f"<h1>{status} {HTTPStatus(status).phrase}</h1>" in response.text
    assert f"<p>{message}</p>" in response.text
    assert "Back to your visit" in response.text


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nvalue",
        b'Content-Disposition: form-data; filename="f.txt"\r\n\r\ndata',
    ],
    ids=["field", "file"],
)
def test_a_multipart_part_with_no_name_is_a_400(
    csrf_client: FlaskClient, part: bytes
) -> None:
    """Werkzeug files it under the key None, where the CSRF check would fail."""
    response = csrf_client.post(
        "/forget",
        data=b"--B\r\n" + part + b"\r\n--B--\r\n",
        content_type="multipart/form-data; boundary=B",
    )
    assert_error_page(response, 400, "Every part of a multipart form needs a name.")


def forget_form_of(size: int, client: FlaskClient) -> str:
    """A "Forget me" form with a valid CSRF token, padded to `size` bytes."""
    body = f"csrf_token={csrf_token(client.get('/').text)}&pad="
    return body + "x" * (size - len(body))


def test_a_form_of_exactly_4_kib_is_read(csrf_client: FlaskClient) -> None:
    response = csrf_client.post(
        "/forget",
        data=forget_form_of(4 * 1024, csrf_client),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 303, response.text
    assert response.location == "/"


def test_a_form_one_byte_over_4_kib_is_a_413(csrf_client: FlaskClient) -> None:
    response = csrf_client.post(
        "/forget",
        data=forget_form_of(4 * 1024 + 1, csrf_client),
        content_type="application/x-www-form-urlencoded",
    )
    assert_error_page(response, 413, RequestEntityTooLarge.description)


class ServerError(Exception):
    """What gunicorn raises from inside a read of a malformed chunked body."""


class MalformedBody:
    """The server's input stream on a malformed chunked body."""

    def read(self, size: int = -1) -> bytes:
        raise ServerError("Invalid chunk size")


def test_a_body_the_server_fails_to_read_is_a_400(csrf_client: FlaskClient) -> None:
    response = csrf_client.post(
        "/forget",
        data="csrf_token=x",  # the Content-Length of a body to read
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": MalformedBody()},
    )
    assert_error_page(response, 400, BadRequest.description)


def test_a_form_is_read_to_its_length_not_into_the_next_request(
    csrf_client: FlaskClient,
) -> None:
    """On a kept-alive connection the server's stream holds the next request
    too (Werkzeug's development server hands over the socket itself)."""
    body = f"csrf_token={csrf_token(csrf_client.get('/').text)}".encode()
    after = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    connection = io.BytesIO(body + after)
    response = csrf_client.post(
        "/forget",
        data=body,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": connection},
    )
    assert response.status_code == 303, response.text
    assert connection.read() == after


@pytest.mark.parametrize(
    ("host", "extra", "message"),
    [
        ("a..b", {}, BadRequest.description),  # no valid host name
        (
            "evil.example",
            {"TRUSTED_HOSTS": ["localhost"]},
            "Host 'evil.example' is not trusted.",
        ),
    ],
    ids=["malformed", "untrusted"],
)
def test_a_bad_host_header_is_a_plain_400_with_no_links(
    config: dict[str, object], host: str, extra: dict[str, object], message: str
) -> None:
    """No URL can be built for such a host: no page with links either."""
    client = create_app({**config, **extra}).test_client()
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == f"400 Bad Request: {message}"


# --- The factory: its secret and its session cookie ----------------------------------


def test_the_session_cookie_is_sent_only_to_the_same_site(
    csrf_client: FlaskClient,
) -> None:
    """It carries the CSRF token and the flashes."""
    [header] = [
        header
        for header in csrf_client.get("/").headers.getlist("Set-Cookie")
        if header.startswith("session=")
    ]
    assert "SameSite=Lax" in header


@pytest.mark.parametrize(
    ("in_config_py", "environ", "secret"),
    [
        ("from config.py", {}, "from config.py"),
        (None, {"FLASK_SECRET_KEY": "from env"}, "from env"),
        ("from config.py", {"FLASK_SECRET_KEY": "from env"}, "from env"),
        # A secret that is set is kept in debug mode too.
        ("from config.py", {"FLASK_DEBUG": "1"}, "from config.py"),
    ],
    ids=["instance", "env", "env-over-instance", "debug"],
)
def test_the_secret_comes_from_the_environment_or_instance_config_py(
    instance_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    in_config_py: str | None,
    environ: dict[str, str],
    secret: str,
) -> None:
    if in_config_py is not None:
        (instance_folder / "config.py").write_text(f"SECRET_KEY = {in_config_py!r}\n")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert create_app().secret_key == secret


@pytest.mark.parametrize(
    ("environ", "test_config"),
    [({"FLASK_DEBUG": "1"}, None), ({}, {"TESTING": True})],
    ids=["debug", "testing"],
)
def test_debug_or_testing_runs_with_a_development_secret(
    instance_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    test_config: dict[str, object] | None,
) -> None:
    """The README's `flask run --debug` works with no secret set."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    page = create_app(test_config).test_client().get("/")
    assert page.status_code == 200, page.text
    assert csrf_token(page.text)  # signed with the development secret


@pytest.mark.parametrize(
    "secret", [None, "12345", '""'], ids=["missing", "a number", "empty"]
)
def test_deployed_without_a_string_secret_the_app_refuses_to_start(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    """`FLASK_SECRET_KEY=12345` is read as JSON: an int, refused like no secret."""
    if secret is not None:
        monkeypatch.setenv("FLASK_SECRET_KEY", secret)
    with pytest.raises(
        RuntimeError, match=r"^Set a secret key: export FLASK_SECRET_KEY="
    ):
        create_app()
