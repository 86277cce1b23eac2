"""Deferred request callbacks: a cookie set before its response exists."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import abort
from flask import Flask
from flask import g
from flask.testing import FlaskClient
from flask.typing import ResponseReturnValue
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
    ("method", "path", "status"),
    [
        ("GET", "/no/such/page", 404),  # no route: raised before any view
        ("GET", "/forget", 405),
    ],
)
def test_an_error_page_still_carries_the_cookie(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status, response.text
    assert "Back to your visit" in response.text  # the app's own error page
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


def test_forget_me_deletes_the_cookie_and_a_new_id_follows(
    csrf_client: FlaskClient,
) -> None:
    page = csrf_client.get("/")
    old_id = shown_id(page)
    response = csrf_client.post("/forget", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 303, response.text
    assert response.location == "/"
    [header] = visitor_cookies(response)
    assert cookie_value(header) == ""
    assert "Max-Age=0" in header

    assert csrf_client.get_cookie(COOKIE_NAME) is None
    after = csrf_client.get("/")
    assert f"Forgot visitor id {old_id}." in after.text
    assert "Welcome, new visitor" in after.text
    assert shown_id(after) != old_id
    [header] = visitor_cookies(after)
    assert cookie_value(header) == shown_id(after)


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
    assert "there was nothing to forget" in page.text
    assert "Welcome back" in page.text
