"""AJAX three ways: the JSON API, the pages that hand it to JavaScript, and
jQuery, fetch and XMLHttpRequest calling it in a real browser."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from typing import TYPE_CHECKING

import pytest
import xstatic.pkg.jquery as xstatic_jquery
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect
from playwright.sync_api import Page
from playwright.sync_api import Route
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.test import TestResponse

from adder import create_app

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

VARIANTS = ["jquery", "fetch", "xhr"]
JQUERY_URL = f"/vendor/jquery/{xstatic_jquery.VERSION}/jquery.min.js"
NOT_JSON = "Send the numbers as JSON, with Content-Type: application/json."
BAD_JSON = "The request body is not valid JSON."
NOT_AN_OBJECT = 'Send a JSON object such as {"a": 2, "b": 3}.'
OUT_OF_RANGE = "must be between -1,000,000,000,000 and 1,000,000,000,000."
TOO_LARGE = "The data value transmitted exceeds the capacity limit."
NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL"
    " manually please check your spelling and try again."
)


def add(client: FlaskClient, body: Any) -> TestResponse:
    # json.dumps, not json=: the test client sends no body at all for json=None.
    return client.post(
        "/api/add", data=json.dumps(body), content_type="application/json"
    )


def assert_api_error(response: TestResponse, status: int, message: str) -> None:
    """The API's own error shape: JSON with the error's name and a message."""
    assert response.status_code == status, response.text
    assert response.mimetype == "application/json"
    assert response.json is not None
    assert set(response.json) == {"error", "message"}
    assert response.json["message"] == message


# --- The JSON API -------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "total"),
    [
        (2, 3, 5),
        (-7, 7, 0),
        (1.5, 0.25, 1.75),
        (10**12, 10**12, 2 * 10**12),
        (-(10**12), 0, -(10**12)),
    ],
)
def test_the_api_adds_two_json_numbers(
    client: FlaskClient, a: float, b: float, total: float
) -> None:
    response = add(client, {"a": a, "b": b})
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/json"
    assert response.json == {"a": a, "b": b, "sum": total}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""],
)
def test_a_body_that_is_not_json_is_a_415(
    client: FlaskClient, content_type: str
) -> None:
    response = client.post(
        "/api/add", data='{"a": 2, "b": 3}', content_type=content_type
    )
    assert_api_error(response, 415, NOT_JSON)
    assert response.json is not None
    assert response.json["error"] == "Unsupported Media Type"


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b'{"a": 2, "b": 3,}', b"{'a': 2}", b'{"a": 2, "b": 3}x', b"\xff"],
)
def test_a_body_that_is_not_valid_json_is_a_400(
    client: FlaskClient, body: bytes
) -> None:
    response = client.post("/api/add", data=body, content_type="application/json")
    assert_api_error(response, 400, BAD_JSON)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([2, 3], NOT_AN_OBJECT),
        ("2 + 3", NOT_AN_OBJECT),
        (None, NOT_AN_OBJECT),
        ({"b": 3}, "a must be a number."),
        ({"a": 2}, "b must be a number."),
        ({"a": "2", "b": 3}, "a must be a number."),
        ({"a": 2, "b": None}, "b must be a number."),
        ({"a": True, "b": 3}, "a must be a number."),
        ({"a": 2, "b": [3]}, "b must be a number."),
        ({"a": 10**12 + 1, "b": 0}, "a " + OUT_OF_RANGE),
        ({"a": 0, "b": -1e13}, "b " + OUT_OF_RANGE),
        ({"a": 10**400, "b": 0}, "a " + OUT_OF_RANGE),
    ],
)
def test_values_that_are_no_numbers_in_range_are_a_400(
    client: FlaskClient, body: Any, message: str
) -> None:
    assert_api_error(add(client, body), 400, message)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(client: FlaskClient, constant: str) -> None:
    """Python's JSON parser reads them, though JSON has no such numbers."""
    response = client.post(
        "/api/add",
        data=f'{{"a": {constant}, "b": 1}}',
        content_type="application/json",
    )
    assert_api_error(response, 400, "a " + OUT_OF_RANGE)


@pytest.mark.parametrize(
    ("config", "limit"),
    [
        ({"TESTING": True}, 1024),
        # A test or a deployment that needs more passes its own limit.
        ({"TESTING": True, "MAX_CONTENT_LENGTH": 4096}, 4096),
    ],
)
def test_a_body_up_to_the_limit_is_read_one_byte_more_is_a_413(
    client: FlaskClient, limit: int
) -> None:
    body = json.dumps({"a": 2, "b": 3}).ljust(limit)  # JSON allows the spaces
    response = client.post("/api/add", data=body, content_type="application/json")
    assert response.status_code == 200, response.text
    assert response.json == {"a": 2, "b": 3, "sum": 5}

    response = client.post("/api/add", data=body + " ", content_type="application/json")
    assert_api_error(response, 413, TOO_LARGE)
    # Read before the type is checked: too big is a 413 whatever the type.
    response = client.post("/api/add", data=body + " ", content_type="text/plain")
    assert_api_error(response, 413, TOO_LARGE)


class BrokenInput:
    """A server's input stream that fails with an error of its own, as
    gunicorn's does on a malformed chunked body."""

    def read(self, size: int = -1) -> bytes:
        raise RuntimeError("invalid chunk size")


def test_a_body_the_server_cannot_read_is_a_json_400(client: FlaskClient) -> None:
    response = client.post(
        "/api/add",
        data='{"a": 2, "b": 3}',  # sets the Content-Length; the body is never read
        content_type="application/json",
        environ_overrides={"wsgi.input": BrokenInput()},
    )
    assert_api_error(
        response,
        400,
        "The browser (or proxy) sent a request that this server could not understand.",
    )


def test_the_api_takes_only_post(client: FlaskClient) -> None:
    response = client.get("/api/add")
    assert_api_error(response, 405, "The method is not allowed for the requested URL.")
    assert set(response.allow) == {"POST", "OPTIONS"}  # says what it takes


@pytest.mark.parametrize("path", ["/api", "/api/subtract"])
def test_an_unknown_api_path_is_a_json_404(client: FlaskClient, path: str) -> None:
    response = client.post(path, json={"a": 2, "b": 3})
    assert_api_error(response, 404, NOT_FOUND)
    assert response.json is not None
    assert response.json["error"] == "Not Found"


# --- The pages ----------------------------------------------------------------


def assert_not_found_page(response: TestResponse) -> None:
    """Outside /api, errors are Flask's own pages: HTML, not the API's JSON."""
    assert response.status_code == 404, response.text
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None
    assert soup.title.get_text() == "404 Not Found"
    assert "The requested URL was not found on the server." in response.text


def mounted(app: Flask, prefix: str) -> Client:
    return Client(DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app)


def scripts(html: str) -> tuple[dict[str, str], list[str]]:
    """The URLs the page hands to JavaScript, and the scripts it loads."""
    soup = BeautifulSoup(html, "html.parser")
    config = soup.find("script", id="api")
    assert config is not None, html
    sources = [str(tag["src"]) for tag in soup.find_all("script", src=True)]
    return json.loads(config.get_text()), sources


def test_the_index_leads_to_the_three_pages(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    links = {a.get_text(): a["href"] for a in soup.select("main a")}
    assert links == {"jQuery": "/jquery", "fetch()": "/fetch", "XMLHttpRequest": "/xhr"}


@pytest.mark.parametrize("prefix", ["", "/mounted"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_each_page_hands_javascript_the_api_url_with_the_prefix(
    app: Flask, prefix: str, variant: str
) -> None:
    response = mounted(app, prefix).get(f"{prefix}/{variant}")
    assert response.status_code == 200, response.text
    urls, sources = scripts(response.text)
    assert urls == {"add": f"{prefix}/api/add"}
    own = f"{prefix}/static/add_{variant}.js"
    # Only the jQuery page loads jQuery, and from this app, before its own script.
    expected = [prefix + JQUERY_URL, own] if variant == "jquery" else [own]
    assert sources == expected


@pytest.mark.parametrize(
    ("variant", "label"),
    [("jquery", "jQuery"), ("fetch", "fetch()"), ("xhr", "XMLHttpRequest")],
)
def test_each_page_has_the_form_its_script_reads_under_its_own_title(
    client: FlaskClient, variant: str, label: str
) -> None:
    response = client.get(f"/{variant}")
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None and soup.h1 is not None, response.text
    assert soup.title.get_text() == f"Add with {label} · Adder"
    assert soup.h1.get_text() == f"Add with {label}"
    form = soup.find("form", id="adder")
    assert isinstance(form, Tag), response.text
    fields = [str(field["name"]) for field in form.find_all("input")]
    assert fields == ["a", "b"]


@pytest.mark.parametrize("path", ["/angular", "/apiary"])
def test_an_unknown_page_is_a_404_page(client: FlaskClient, path: str) -> None:
    assert_not_found_page(client.get(path))


# --- jQuery, from the XStatic-jQuery package -----------------------------------


def test_jquery_is_served_from_the_installed_package(client: FlaskClient) -> None:
    response = client.get(JQUERY_URL, buffered=True)  # reads and closes the file
    assert response.status_code == 200, response.status
    package_file = Path(xstatic_jquery.BASE_DIR) / "jquery.min.js"
    assert response.data == package_file.read_bytes()
    assert response.mimetype == "text/javascript"
    # The version is in the URL, so a browser may keep the file for a year.
    assert response.cache_control.max_age == 365 * 24 * 60 * 60
    assert response.cache_control.public


def test_jquerys_source_map_is_served_beside_it(client: FlaskClient) -> None:
    map_url = JQUERY_URL.replace("jquery.min.js", "jquery.min.map")
    response = client.get(map_url, buffered=True)
    assert response.status_code == 200, response.status
    assert json.loads(response.data)["file"] == "jquery.min.js"


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/jquery/1.12.4/jquery.min.js",
        f"/vendor/jquery/{xstatic_jquery.VERSION}/jquery.ui.js",
        f"/vendor/jquery/{xstatic_jquery.VERSION}/../__init__.py",
        f"/vendor/jquery/{xstatic_jquery.VERSION}/%2e%2e/__init__.py",
    ],
)
def test_other_versions_and_files_are_a_404(client: FlaskClient, path: str) -> None:
    assert_not_found_page(client.get(path))


# --- In a browser ---------------------------------------------------------------


def deployed(prefix: str) -> WSGIApplication:
    """The app as deployed (no test config), at the root or under a prefix."""
    app = create_app()
    return DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app


def offline(page: Page, base: str) -> list[str]:
    """Refuse every request that leaves the server (no CDN); note JS errors."""

    def only_local(route: Route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_local)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.mark.browser
@pytest.mark.parametrize("prefix", ["", "/mounted"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_each_page_adds_and_shows_the_apis_errors_in_a_browser(
    page: Page,
    live_server: Callable[[WSGIApplication], str],
    variant: str,
    prefix: str,
) -> None:
    base = live_server(deployed(prefix)) + prefix
    errors = offline(page, base)
    page.goto(f"{base}/{variant}")
    a = page.get_by_label("a", exact=True)
    b = page.get_by_label("b", exact=True)
    add_button = page.get_by_role("button", name="Add")
    total = page.locator("#sum")
    alert = page.get_by_role("alert")

    a.fill("40")
    b.fill("2.5")
    add_button.click()
    expect(total).to_have_text("42.5")
    expect(alert).to_have_text("")
    # Same page, no reload: the form was sent by the script, not the browser.
    expect(page).to_have_url(f"{base}/{variant}")

    b.fill("")  # sent as null: the API's 400 lands on the page
    add_button.click()
    expect(alert).to_have_text("b must be a number.")
    expect(total).to_have_text("")

    a.fill("1e13")
    b.fill("1")
    add_button.click()
    expect(alert).to_have_text("a " + OUT_OF_RANGE)

    a.fill("2")  # after an error, adding works again
    b.fill("3")
    add_button.click()
    expect(total).to_have_text("5")
    expect(alert).to_have_text("")

    uses_jquery = page.evaluate("typeof window.jQuery !== 'undefined'")
    assert uses_jquery == (variant == "jquery")
    if uses_jquery:
        assert page.evaluate("jQuery.fn.jquery") == xstatic_jquery.VERSION
    assert errors == []
