"""Single-page application: the catch-all route, the JSON API beside it, and
client-side routing with the History API in a real browser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect
from playwright.sync_api import Page
from werkzeug.exceptions import default_exceptions
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.test import TestResponse

from planet_guide.planets import PLANETS

NO_PLANET = "There is no planet by that name in this guide."
NOT_FOUND = "The requested URL was not found on the server."
# At the root, and mounted under a prefix as the gallery mounts it (the
# browser tests' `live_server` mounts the app there too).
PREFIXES = pytest.mark.parametrize("prefix", ["", "/mounted"])


def mounted(app: Flask, prefix: str) -> Client:
    return Client(DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app)


def assert_the_page(response: TestResponse) -> None:
    """The app's one page (index.html), revalidated on every visit."""
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/html"
    assert response.cache_control.no_cache
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find(id="view") is not None, response.text
    assert soup.find("script", id="config") is not None, response.text


def assert_api_404(response: TestResponse, message: str = NOT_FOUND) -> None:
    assert response.status_code == 404, response.text
    assert response.mimetype == "application/json"
    assert response.json is not None
    assert response.json["error"] == "Not Found"
    assert response.json["message"].startswith(message)


def assert_error_page(response: TestResponse, status: int, message: str) -> None:
    """Flask's own error page, with its message: not the app's page."""
    assert response.status_code == status, response.text
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None
    name = default_exceptions[status]().name  # "Not Found", as Werkzeug says it
    assert soup.title.get_text() == f"{status} {name}"
    assert message in response.text
    assert soup.find(id="view") is None, response.text


# --- The catch-all route ------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/planets/mars",
        "/about",
        "/planets/mars/",
        "/planets/pluto",  # the script shows the API's 404 for it
        "/no/such/page/yet",  # and "Page not found" for this one
        # Beside the 404s below: only a whole first segment api or static is
        # reserved, and only a last segment with a dot names a file.
        "/apis",
        "/api-docs",
        "/planets/api",
        "/statistics",
        "/planets/static",
        "/about/",
        "/v1.2/planets",
        "/planets/v1.2/X",
    ],
)
def test_every_client_route_gets_the_page(client: FlaskClient, path: str) -> None:
    assert_the_page(client.get(path))


@PREFIXES
@pytest.mark.parametrize("path", ["/", "/planets/mars"])
def test_the_page_tells_the_script_where_the_app_is_mounted(
    app: Flask, prefix: str, path: str
) -> None:
    response = mounted(app, prefix).get(prefix + path)
    assert_the_page(response)
    soup = BeautifulSoup(response.text, "html.parser")
    config = soup.find("script", id="config")
    assert config is not None
    assert json.loads(config.get_text()) == {
        "root": f"{prefix}/",
        "planets": f"{prefix}/api/planets",
    }
    # Assets by absolute URL: on a deep link a relative one would miss.
    assert soup.find("script", type="module")["src"] == (f"{prefix}/static/app/app.js")
    links = [a["href"] for a in soup.select("a[data-route]")]
    assert links == [f"{prefix}/", f"{prefix}/", f"{prefix}/about"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/nope",
        "/api/planets/mars/moons",
        "/api/planets/",
        "/api/",
        "/api/about",
        # The prefix in any letter case: an API call with a typo, not a page.
        "/API/planets",
        "/Api/",
        "/API",
    ],
)
def test_an_unknown_api_path_is_a_json_404_not_the_page(
    client: FlaskClient, path: str
) -> None:
    assert_api_404(client.get(path))


@pytest.mark.parametrize(
    "path",
    [
        "/app/missing.js",
        "/favicon.ico",
        "/robots.txt",
        "/planets/mars.json",
        "/static/app/missing.js",
        "/static/app/",
        "/planets/mars.json/",  # a slash after a file name keeps it a file name
        "/favicon.ico/",
    ],
)
def test_a_missing_file_is_a_404_not_the_page(client: FlaskClient, path: str) -> None:
    assert_error_page(client.get(path), 404, NOT_FOUND)


@pytest.mark.parametrize("path", ["/static", "/static/", "/Static/", "/STATIC/app"])
def test_the_static_prefix_is_a_404_not_the_page(
    client: FlaskClient, path: str
) -> None:
    assert_error_page(client.get(path), 404, NOT_FOUND)


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [("/static/app/app.js", "text/javascript"), ("/static/app/app.css", "text/css")],
)
def test_the_apps_files_are_served(
    client: FlaskClient, path: str, mimetype: str
) -> None:
    response = client.get(path, buffered=True)
    assert response.status_code == 200, response.status
    assert response.mimetype == mimetype


def test_the_page_takes_only_get(client: FlaskClient) -> None:
    response = client.post("/planets/mars")
    assert_error_page(response, 405, "The method is not allowed")


# --- The JSON API ---------------------------------------------------------------


def test_the_api_lists_the_planets_in_order(client: FlaskClient) -> None:
    response = client.get("/api/planets")
    assert response.status_code == 200, response.text
    assert response.json is not None
    assert [p["name"] for p in response.json] == [
        "Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"
    ]  # fmt: skip
    assert response.json[3] == {"slug": "mars", "name": "Mars", "kind": "rocky"}


def test_the_api_shows_one_planet(client: FlaskClient) -> None:
    response = client.get("/api/planets/mars")
    assert response.status_code == 200, response.text
    assert response.json == {
        "slug": "mars",
        "name": "Mars",
        "kind": "rocky",
        "year_days": 687,
        "summary": "A cold desert with the tallest volcano in the Solar System.",
    }


@pytest.mark.parametrize("slug", ["pluto", "Mars", "mars ", "%2e%2e"])
def test_an_unknown_planet_is_the_apis_own_404(client: FlaskClient, slug: str) -> None:
    assert_api_404(client.get(f"/api/planets/{slug}"), NO_PLANET)


def test_the_api_takes_only_get(client: FlaskClient) -> None:
    response = client.post("/api/planets", json={"name": "Pluto"})
    assert response.status_code == 405, response.text
    assert response.json == {
        "error": "Method Not Allowed",
        "message": "The method is not allowed for the requested URL.",
    }
    # The JSON answer keeps the error's headers: Allow says what to use instead.
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("config", [{"TESTING": True, "TRUSTED_HOSTS": ["guide.test"]}])
def test_the_factory_applies_its_config(client: FlaskClient) -> None:
    """create_app({...}) takes the config: here a host check, JSON under /api."""
    assert_the_page(client.get("/planets/mars", base_url="http://guide.test"))
    response = client.get("/api/planets", base_url="http://evil.test")
    assert response.status_code == 400, response.text
    assert response.json == {
        "error": "Bad Request",
        "message": "Host 'evil.test' is not trusted.",
    }
    message = "Host &#39;evil.test&#39; is not trusted."
    assert_error_page(
        client.get("/planets/mars", base_url="http://evil.test"), 400, message
    )


# --- In a browser ---------------------------------------------------------------


@contextmanager
def no_script_errors(page: Page) -> Iterator[None]:
    """Fail the test if the page throws a JavaScript error meanwhile."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert errors == []


def mark_this_document(page: Page) -> None:
    """A variable that lives as long as this document: gone after any page load."""
    page.evaluate("window.sameDocument = true")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("window.sameDocument") is True


@pytest.mark.browser
@PREFIXES
def test_a_deep_link_opens_its_view(live_server: str, page: Page, prefix: str) -> None:
    with no_script_errors(page):
        page.goto(f"{live_server}/planets/mars")
        expect(page.get_by_role("heading", level=1)).to_have_text("Mars")
        expect(page).to_have_title("Mars · Planet guide")
        expect(page.locator("#view")).to_contain_text("its year lasts 687 Earth days")


@pytest.mark.browser
@PREFIXES
def test_links_change_the_address_without_loading_a_page(
    live_server: str, page: Page, prefix: str
) -> None:
    with no_script_errors(page):
        page.goto(f"{live_server}/")
        planets = page.locator("#view li a")
        expect(planets).to_have_count(len(PLANETS))
        mark_this_document(page)

        planets.filter(has_text="Jupiter").click()
        expect(page).to_have_url(f"{live_server}/planets/jupiter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Jupiter")
        # Focus moves to the new heading, as a screen reader expects.
        expect(page.get_by_role("heading", level=1)).to_be_focused()

        page.get_by_role("navigation").get_by_role("link", name="About").click()
        expect(page).to_have_url(f"{live_server}/about")
        expect(page).to_have_title("About · Planet guide")

        page.get_by_role("link", name="Planet guide").click()
        expect(page).to_have_url(f"{live_server}/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Planets")
        assert_same_document(page)


@pytest.mark.browser
@PREFIXES
def test_back_and_forward_show_the_views_again(
    live_server: str, page: Page, prefix: str
) -> None:
    with no_script_errors(page):
        page.goto(f"{live_server}/")
        mark_this_document(page)
        page.get_by_role("link", name="Saturn").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Saturn")
        page.get_by_role("link", name="All planets").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Planets")

        page.go_back()
        expect(page).to_have_url(f"{live_server}/planets/saturn")
        expect(page.get_by_role("heading", level=1)).to_have_text("Saturn")
        page.go_back()
        expect(page).to_have_url(f"{live_server}/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Planets")
        page.go_forward()
        expect(page).to_have_url(f"{live_server}/planets/saturn")
        expect(page.get_by_role("heading", level=1)).to_have_text("Saturn")
        assert_same_document(page)


@pytest.mark.browser
@PREFIXES
def test_reloading_a_client_route_shows_the_same_view(
    live_server: str, page: Page, prefix: str
) -> None:
    with no_script_errors(page):
        page.goto(f"{live_server}/")
        mark_this_document(page)
        page.get_by_role("link", name="Neptune").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Neptune")

        response = page.reload()  # a real request for /planets/neptune
        assert response is not None
        assert response.url == f"{live_server}/planets/neptune"
        assert response.status == 200
        assert response.headers["cache-control"] == "no-cache"
        expect(page.get_by_role("heading", level=1)).to_have_text("Neptune")
        assert page.evaluate("window.sameDocument") is None


@pytest.mark.browser
@PREFIXES
def test_unknown_planets_and_routes_are_shown_as_such(
    live_server: str, page: Page, prefix: str
) -> None:
    with no_script_errors(page):
        page.goto(f"{live_server}/planets/pluto")
        expect(page.get_by_role("heading", level=1)).to_have_text("Not Found")
        expect(page.locator("#view .error")).to_have_text(NO_PLANET)

        page.goto(f"{live_server}/no/such/page")
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        page.get_by_role("link", name="All planets").click()
        expect(page).to_have_url(f"{live_server}/")
        expect(page.locator("#view li")).to_have_count(len(PLANETS))


@pytest.mark.browser
@PREFIXES
def test_unknown_api_paths_and_files_are_404s_in_the_browser(
    live_server: str, page: Page, prefix: str
) -> None:
    with no_script_errors(page):
        response = page.goto(f"{live_server}/api/nope")
        assert response is not None
        assert response.status == 404
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"] == "Not Found"

        response = page.goto(f"{live_server}/app/missing.js")
        assert response is not None
        assert response.status == 404
        expect(page).to_have_title("404 Not Found")
        expect(page.get_by_role("heading", level=1)).to_have_text("Not Found")
