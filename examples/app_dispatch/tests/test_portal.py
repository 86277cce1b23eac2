"""Application dispatching: two apps joined by path, one app per team on first use."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import default_exceptions
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.test import TestResponse

from portal import create_app
from portal import create_team_app
from portal.body_errors import BodyErrorsAreBadRequests
from portal.dispatch import PathDispatcher
from portal.dispatch import SubdomainDispatcher
from portal.frontend import MISSING_KEY

NO_SITE = "404 Not Found: there is no site at this address."
NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL"
    " manually please check your spelling and try again."
)
# The example's folder, where wsgi.py sits beside the package (your project's
# root, once copied).
PROJECT = Path(__file__).resolve().parent.parent


class CountingFactory:
    """create_team_app with the test config, remembering every call."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, team: str) -> Flask | None:
        with self.lock:
            self.calls.append(team)
        return create_team_app(team, self.config)


def api_of(app: Flask) -> Flask:
    """The API app that create_app mounted inside the site."""
    outer = app.wsgi_app
    assert isinstance(outer, BodyErrorsAreBadRequests)
    middleware = outer.wsgi_app
    assert isinstance(middleware, DispatcherMiddleware)
    api = middleware.mounts["/api"]
    assert isinstance(api, Flask)
    return api


def links(html: str) -> set[str]:
    """Every link and stylesheet URL on the page."""
    soup = BeautifulSoup(html, "html.parser")
    return {str(tag["href"]) for tag in soup.find_all(["a", "link"])}


def heading(response: TestResponse) -> str:
    assert response.status_code == 200, response.text
    h1 = BeautifulSoup(response.text, "html.parser").h1
    assert h1 is not None, response.text
    return h1.get_text()


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def assert_error_page(
    response: TestResponse,
    status: int,
    message: str,
    site: str = "Portal",
    home: str = "/",
) -> None:
    """The portal's own error page (not Werkzeug's): its layout, its message,
    and a link back to the portal."""
    assert response.status_code == status, response.text
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None
    name = default_exceptions[status]().name  # "Not Found", as Werkzeug says it
    assert soup.title.get_text() == f"{status} {name} · {site}"
    assert soup.h1 is not None, response.text
    description = soup.h1.find_next("p")
    assert description is not None, response.text
    assert description.get_text() == message
    link = soup.find("a", string="Back to the portal")
    assert link is not None, response.text
    assert link.get("href") == home


# --- DispatcherMiddleware: the site at /, a separate API app at /api ------------


def test_the_site_and_the_api_are_separate_flask_apps_with_one_config(
    app: Flask,
) -> None:
    api = api_of(app)
    assert api is not app
    assert {r.endpoint for r in app.url_map.iter_rules()} >= {"frontend.index"}
    assert {r.endpoint for r in api.url_map.iter_rules()} == {"api.index", "api.me"}
    for key in ("SECRET_KEY", "TESTING", "SITE_NAME", "MAX_CONTENT_LENGTH"):
        assert api.config[key] == app.config[key], key


def test_each_app_answers_its_own_paths(client: FlaskClient) -> None:
    assert heading(client.get("/")) == "Portal"
    response = client.get("/api/")
    assert response.status_code == 200, response.text
    assert response.json == {
        "site": "Portal",
        "links": {"self": "/api/", "me": "/api/me"},
    }


def test_the_api_reads_the_session_the_site_stored(client: FlaskClient) -> None:
    assert client.get("/api/me").json == {"name": None}
    response = client.post("/name", data={"name": "Ada"})
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/"
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.same_site == "Lax"
    assert client.get("/api/me").json == {"name": "Ada"}
    page = client.get("/").text
    soup = BeautifulSoup(page, "html.parser")
    said = [p.get_text() for p in soup.select("p.flash")]
    assert said == ["Hello, Ada. The API knows you now too."]
    field = soup.find(id="name")
    assert isinstance(field, Tag), page
    assert field.get("value") == "Ada"
    assert field.get("maxlength") == "50"


@pytest.mark.parametrize(
    ("method", "path", "status", "name"),
    [
        ("GET", "/api/nowhere", 404, "Not Found"),
        ("POST", "/api/me", 405, "Method Not Allowed"),
        ("DELETE", "/api/", 405, "Method Not Allowed"),
    ],
)
def test_api_errors_are_the_apis_own_json(
    client: FlaskClient, method: str, path: str, status: int, name: str
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status, response.text
    assert response.json is not None, response.text
    assert response.json["error"] == name
    assert response.json["message"]
    if status == 405:
        allowed = set(response.headers["Allow"].split(", "))
        assert allowed == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/nowhere", 404, NOT_FOUND),
        ("GET", "/apis", 404, NOT_FOUND),
        ("GET", "/static/none.css", 404, NOT_FOUND),
        ("POST", "/", 405, "The method is not allowed for the requested URL."),
    ],
)
def test_site_errors_are_the_sites_own_page(
    client: FlaskClient, method: str, path: str, status: int, message: str
) -> None:
    """/apis is not under /api: the mount takes whole path segments only."""
    response = client.open(path, method=method)
    assert_error_page(response, status, message)
    if status == 405:
        allowed = set(response.headers["Allow"].split(", "))
        assert allowed == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize(
    ("host", "trusted", "text"),
    [
        (
            "a..b",
            None,
            "The browser (or proxy) sent a request that this server "
            "could not understand.",
        ),
        ("evil.test", ["localhost"], "Host 'evil.test' is not trusted."),
    ],
)
def test_a_host_the_site_cannot_link_to_is_a_plain_text_400(
    config: dict[str, object], host: str, trusted: list[str] | None, text: str
) -> None:
    """No URL can be built for the host, so the answer has no links to build."""
    client = create_app({**config, "TRUSTED_HOSTS": trusted}).test_client()
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == f"400 Bad Request: {text}"


def test_a_bad_host_is_a_400_in_the_api_too(client: FlaskClient) -> None:
    response = client.get("/api/", headers={"Host": "a..b"})
    assert response.status_code == 400, response.text
    assert response.json is not None and response.json["error"] == "Bad Request"


@pytest.mark.parametrize(
    "name",
    [None, "", "   ", "x" * 51, "line\nbreak", "nul\x00"],
    # Plain ids: mutmut selects tests by id, and cannot select one with a backslash.
    ids=["no field", "empty", "blank", "51 characters", "line break", "nul"],
)
def test_a_bad_name_is_a_400_and_stores_nothing(
    client: FlaskClient, name: str | None
) -> None:
    response = client.post("/name", data={} if name is None else {"name": name})
    assert response.status_code == 400, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    error = soup.find(class_="error")
    assert error is not None, response.text
    assert error.get_text() == "Give a name of 1 to 50 printable characters."
    field = soup.find(id="name")  # the form, to try again
    assert isinstance(field, Tag), response.text
    assert field.get("maxlength") == "50"
    assert client.get("/api/me").json == {"name": None}


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"SECRET_KEY": ""},
        {"SECRET_KEY": 12345},  # FLASK_SECRET_KEY=12345 is read as JSON
        {"SECRET_KEY": b"bytes"},
    ],
    ids=["missing", "empty", "a number", "bytes"],
)
def test_the_portal_refuses_to_start_without_a_secret_key(
    monkeypatch: pytest.MonkeyPatch, config: dict[str, object]
) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)  # Flask's DEBUG default reads it
    with pytest.raises(RuntimeError) as error:
        create_app(config)
    assert str(error.value) == MISSING_KEY


@pytest.mark.parametrize(
    ("instance_config", "site"),
    [
        (None, "Portal"),  # no instance/config.py: not an error
        ('SITE_NAME = "Our portal"\nSECRET_KEY = "from-the-file"\n', "Our portal"),
    ],
    ids=["no instance config", "instance config"],
)
def test_without_a_test_config_the_portal_reads_its_instance_config_and_flask_variables(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    instance_config: str | None,
    site: str,
) -> None:
    """instance/config.py, then the FLASK_* variables over it. The instance
    folder is a temporary one here, where Flask would look for it."""
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda _: str(tmp_path))
    if instance_config is not None:
        (tmp_path / "config.py").write_text(instance_config)
    for name in os.environ:
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert heading(app.test_client().get("/")) == site


@pytest.mark.parametrize("mode", ["TESTING", "DEBUG"])
def test_in_testing_or_debug_mode_a_development_key_signs_the_session(
    mode: str,
) -> None:
    client = create_app({mode: True, "WTF_CSRF_ENABLED": False}).test_client()
    response = client.post("/name", data={"name": "Ada"})
    assert response.status_code == 303, response.text
    assert client.get("/api/me").json == {"name": "Ada"}


def test_the_name_form_needs_its_csrf_token(config: dict[str, object]) -> None:
    client = create_app({**config, "WTF_CSRF_ENABLED": True}).test_client()
    assert_error_page(
        client.post("/name", data={"name": "Mallory"}),
        400,
        "The CSRF token is missing.",
    )
    token = csrf_token(client.get("/").text)
    response = client.post("/name", data={"name": "Ada", "csrf_token": token})
    assert response.status_code == 303, response.text
    assert client.get("/api/me").json == {"name": "Ada"}


def test_the_longest_name_fits_under_the_body_limit(config: dict[str, object]) -> None:
    """50 characters of 4 bytes each in UTF-8, percent-encoded, and the form's
    CSRF token: the biggest honest post, which MAX_CONTENT_LENGTH lets through."""
    client = create_app({**config, "WTF_CSRF_ENABLED": True}).test_client()
    name = "\N{SNAKE}" * 50
    token = csrf_token(client.get("/").text)
    response = client.post("/name", data={"name": name, "csrf_token": token})
    assert response.status_code == 303, response.text
    assert client.get("/api/me").json == {"name": name}


@pytest.mark.parametrize(("size", "status"), [(1024, 303), (1025, 413)])
def test_a_body_over_1_kib_is_refused_with_the_sites_413_page(
    client: FlaskClient, size: int, status: int
) -> None:
    body = "name=Ada&padding="
    body += "x" * (size - len(body))
    response = client.post(
        "/name", data=body, content_type="application/x-www-form-urlencoded"
    )
    if status == 303:
        assert response.status_code == 303, response.text
        assert client.get("/api/me").json == {"name": "Ada"}
    else:
        assert_error_page(
            response, 413, "The data value transmitted exceeds the capacity limit."
        )
        assert client.get("/api/me").json == {"name": None}


@pytest.mark.parametrize(
    ("part", "named"),
    [
        ('form-data; name="name"', True),
        ("form-data", False),
        ('form-data; filename="name.txt"', False),
    ],
)
def test_a_multipart_form_is_taken_unless_a_part_has_no_name(
    config: dict[str, object], part: str, named: bool
) -> None:
    """Werkzeug files a nameless part under None, where the CSRF check would
    fail with a 500."""
    client = create_app({**config, "WTF_CSRF_ENABLED": True}).test_client()
    token = csrf_token(client.get("/").text)
    body = (
        f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f"--b\r\nContent-Disposition: {part}\r\n\r\nAda\r\n--b--\r\n"
    )
    response = client.post(
        "/name", data=body, content_type="multipart/form-data; boundary=b"
    )
    if named:
        assert response.status_code == 303, response.text
        assert client.get("/api/me").json == {"name": "Ada"}
    else:
        message = "Every part of a multipart form needs a name."
        assert_error_page(response, 400, message)
        assert client.get("/api/me").json == {"name": None}


class InvalidChunkSize(Exception):
    """Not an OSError: what gunicorn raises while reading a malformed chunked body."""


class BrokenBody:
    """A server's input stream that fails as gunicorn's does on a bad chunk."""

    def read(self, size: int = -1) -> bytes:
        raise InvalidChunkSize("+0")


def test_the_body_is_read_up_to_its_content_length_and_no_further(
    client: FlaskClient,
) -> None:
    """A server's stream may hold more (the next request on the connection)."""
    response = client.post(
        "/name",
        content_type="application/x-www-form-urlencoded",
        environ_overrides={
            "wsgi.input": io.BytesIO(b"name=AdaGET / HTTP/1.1\r\n"),
            "CONTENT_LENGTH": "8",
        },
    )
    assert response.status_code == 303, response.text
    assert client.get("/api/me").json == {"name": "Ada"}


def test_a_body_the_server_cannot_read_is_the_sites_400_page(
    client: FlaskClient,
) -> None:
    response = client.post(
        "/name",
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": BrokenBody(), "CONTENT_LENGTH": "8"},
    )
    assert_error_page(
        response,
        400,
        "The browser (or proxy) sent a request that this server could not understand.",
    )


@pytest.mark.parametrize("outer", ["", "/outer", "/two/levels"])
def test_url_for_in_each_app_carries_every_prefix_in_front(
    app: Flask, outer: str
) -> None:
    client = Client(DispatcherMiddleware(NotFound(), {outer: app}) if outer else app)
    api = client.get(f"{outer}/api/")
    assert api.status_code == 200, api.text
    assert api.json is not None
    assert api.json["links"] == {"self": f"{outer}/api/", "me": f"{outer}/api/me"}
    page = client.get(f"{outer}/")
    assert page.status_code == 200, page.text
    # The site links to the API through the API's own routes.
    assert links(page.text) == {
        f"{outer}/",
        f"{outer}/api/",
        f"{outer}/api/me",
        f"{outer}/static/style.css",
    }


# --- SubdomainDispatcher: one app per team, built on first use --------------------


@pytest.fixture
def factory(config: dict[str, object]) -> CountingFactory:
    return CountingFactory(config)


@pytest.fixture
def by_subdomain(factory: CountingFactory) -> SubdomainDispatcher:
    return SubdomainDispatcher("example.com", factory)


def test_each_subdomain_gets_its_teams_own_portal(
    by_subdomain: SubdomainDispatcher, factory: CountingFactory
) -> None:
    client = Client(by_subdomain)
    assert factory.calls == []  # nothing is built before a request asks
    red = client.get("/", headers={"Host": "red.example.com"})
    assert heading(red) == "Red team"
    assert heading(client.get("/", headers={"Host": "blue.example.com"})) == "Blue team"
    api = client.get("/api/", headers={"Host": "red.example.com"})
    assert api.json is not None and api.json["site"] == "Red team"
    assert factory.calls == ["red", "blue"]


def test_a_subdomain_reuses_its_app(
    by_subdomain: SubdomainDispatcher, factory: CountingFactory
) -> None:
    client = Client(by_subdomain)
    for _ in range(3):
        response = client.get("/", headers={"Host": "red.example.com"})
        assert response.status_code == 200, response.text
    assert factory.calls == ["red"]
    assert by_subdomain.apps.get("red") is by_subdomain.apps.get("red")


@pytest.mark.parametrize(
    "host", ["Red.Example.COM", "red.example.com:8080", "red.example.com."]
)
def test_the_host_may_have_any_case_a_port_or_a_trailing_dot(
    by_subdomain: SubdomainDispatcher, host: str
) -> None:
    assert heading(Client(by_subdomain).get("/", headers={"Host": host})) == "Red team"


@pytest.mark.parametrize(
    ("host", "asked"),
    [
        ("green.example.com", ["green"]),  # no such team
        ("example.com", [""]),  # the domain itself: no team named ""
        ("a.red.example.com", ["a.red"]),  # a subdomain of a team's subdomain
        # Hosts outside the domain: the factory is not even asked.
        ("redexample.com", []),  # ends with "example.com", but another domain
        ("red.example.com.evil.test", []),
        ("127.0.0.1:5000", []),
        ("[::1]:5000", []),
        ("a..b", []),
        ("x" * 300, []),
    ],
)
def test_unknown_subdomains_and_other_hosts_are_a_404_and_build_nothing(
    by_subdomain: SubdomainDispatcher,
    factory: CountingFactory,
    host: str,
    asked: list[str],
) -> None:
    response = Client(by_subdomain).get("/", headers={"Host": host})
    assert response.status_code == 404, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == NO_SITE
    assert factory.calls == asked
    assert by_subdomain.apps.instances == {}


# --- PathDispatcher: /<team>/ mounted, everything else to the default app ---------


def echo(label: str) -> Callable[..., Iterable[bytes]]:
    """A WSGI app that answers with its label and the paths it was given."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        seen = {
            "app": label,
            "script_name": environ.get("SCRIPT_NAME", ""),
            "path_info": environ.get("PATH_INFO", ""),
        }
        return [json.dumps(seen).encode()]

    return app


TEAM_ECHOES = {"red": echo("red"), "blue": echo("blue")}


@pytest.mark.parametrize("outer", ["", "/outer"])
@pytest.mark.parametrize(
    ("path", "app", "script_name", "path_info"),
    [
        ("/red/page", "red", "/red", "/page"),
        ("/red/a/b/", "red", "/red", "/a/b/"),
        ("/red/", "red", "/red", "/"),
        ("/red", "red", "/red", ""),
        ("/blue/page", "blue", "/blue", "/page"),
        ("/", "default", "", "/"),
        ("", "default", "", ""),  # the mount's root, as "/outer" with no slash
        ("/page", "default", "", "/page"),
        ("/green/page", "default", "", "/green/page"),
        ("/reddish/page", "default", "", "/reddish/page"),
        ("//red/page", "default", "", "//red/page"),
    ],
)
def test_the_path_dispatcher_moves_the_first_segment_into_script_name(
    outer: str, path: str, app: str, script_name: str, path_info: str
) -> None:
    dispatcher = PathDispatcher(echo("default"), TEAM_ECHOES.get)
    environ = {"SCRIPT_NAME": outer, "PATH_INFO": path}
    response = Client(dispatcher).get(environ_overrides=environ)
    assert response.json == {
        "app": app,
        "script_name": outer + script_name,
        "path_info": path_info,
    }


@pytest.mark.parametrize(
    ("given", "app", "script_name", "path_info"),
    [
        ({"PATH_INFO": "/red/page"}, "red", "/red", "/page"),
        ({"SCRIPT_NAME": "/outer"}, "default", "/outer", ""),
        (
            {"SCRIPT_NAME": "/outer", "PATH_INFO": "red/page"},
            "default",
            "/outer",
            "red/page",
        ),
    ],
)
def test_the_path_dispatcher_takes_a_missing_script_name_or_path_info_as_empty(
    given: dict[str, str], app: str, script_name: str, path_info: str
) -> None:
    """WSGI lets a server leave both out when they are empty. The factory here
    builds an app for any name: only a first segment names one."""
    dispatcher = PathDispatcher(echo("default"), echo)

    def server(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        del environ["SCRIPT_NAME"], environ["PATH_INFO"]
        return dispatcher({**environ, **given}, start_response)

    assert Client(server).get().json == {
        "app": app,
        "script_name": script_name,
        "path_info": path_info,
    }


class WatchedLock:
    """AppCache's lock, counting the requests that reach it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reached: list[None] = []  # list.append is atomic
        self.second = threading.Event()

    def __enter__(self) -> None:
        self.reached.append(None)
        if len(self.reached) == 2:
            self.second.set()
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def test_requests_for_a_built_app_take_no_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    dispatcher = PathDispatcher(echo("default"), TEAM_ECHOES.get)
    lock = WatchedLock()
    monkeypatch.setattr(dispatcher.apps, "lock", lock)
    client = Client(dispatcher)
    for _ in range(3):
        response = client.get("/red/")
        assert response.json is not None and response.json["app"] == "red"
    assert len(lock.reached) == 1  # the first request, which built the app


def test_a_request_that_waited_for_the_lock_takes_the_app_built_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The race of the concurrent test below, forced: red's build waits until a
    second request for red is waiting for the lock."""
    lock = WatchedLock()
    built: list[str] = []

    def create(name: str) -> Callable[..., Iterable[bytes]]:
        lock.second.wait(timeout=30)  # only bounds a failing run
        built.append(name)
        return echo(name)

    dispatcher = PathDispatcher(echo("default"), create)
    monkeypatch.setattr(dispatcher.apps, "lock", lock)
    responses: list[TestResponse] = []
    threads = [
        threading.Thread(
            target=lambda: responses.append(Client(dispatcher).get("/red/"))
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.json["app"] for r in responses if r.json] == ["red", "red"]
    assert len(lock.reached) == 2
    assert built == ["red"]


def test_unknown_path_segments_build_nothing() -> None:
    dispatcher = PathDispatcher(echo("default"), TEAM_ECHOES.get)
    client = Client(dispatcher)
    for n in range(100):
        client.get(f"/made-up-{n}/page")
    client.get("/red/")
    assert list(dispatcher.apps.instances) == ["red"]


def test_team_portals_by_path_fall_back_to_the_main_portal(
    app: Flask, factory: CountingFactory
) -> None:
    client = Client(PathDispatcher(app, factory))
    red = client.get("/red/")
    assert heading(red) == "Red team"
    # Inside the red portal, url_for puts /red in front of every link.
    assert links(red.text) == {
        "/red/",
        "/red/api/",
        "/red/api/me",
        "/red/static/style.css",
    }
    api = client.get("/red/api/")
    assert api.json == {
        "site": "Red team",
        "links": {"self": "/red/api/", "me": "/red/api/me"},
    }
    # /red is the red portal's root, as on any mount: Flask adds the slash.
    assert client.get("/red").headers["Location"].endswith("/red/")
    # Everything else is the main portal's: its pages, its API, its 404 page.
    assert heading(client.get("/")) == "Portal"
    assert client.get("/api/").json == {
        "site": "Portal",
        "links": {"self": "/api/", "me": "/api/me"},
    }
    assert_error_page(client.get("/green/"), 404, NOT_FOUND)
    assert factory.calls == ["red", "api", "green"]  # asked, only red was built


def test_team_portals_by_path_do_not_share_a_session(
    app: Flask, config: dict[str, object]
) -> None:
    """Same cookie path: each portal's cookie has a name of its own."""
    client = Client(PathDispatcher(app, CountingFactory(config)))
    response = client.post("/red/name", data={"name": "Ada"})
    assert response.status_code == 303, response.text
    assert client.get("/red/api/me").json == {"name": "Ada"}
    assert client.get("/blue/api/me").json == {"name": None}
    assert client.get("/api/me").json == {"name": None}


# --- Team portals: a key each, so no portal reads another's cookie ---------------

# Each dispatcher of wsgi.py, and the host and path of every portal it serves.
DEPLOYMENTS = {
    "teams_by_path": {
        "main": ("localhost", ""),
        "red": ("localhost", "/red"),
        "blue": ("localhost", "/blue"),
    },
    "teams_by_subdomain": {
        "red": ("red.example.com", ""),
        "blue": ("blue.example.com", ""),
    },
}
COOKIES = {"main": "session", "red": "red_session", "blue": "blue_session"}


class Browser:
    """A browser on one of wsgi.py's dispatchers, built as wsgi.py builds it
    but with the test config, that visits the portals by name."""

    def __init__(self, deployment: str, config: Mapping[str, Any]) -> None:
        teams = CountingFactory(config)
        if deployment == "teams_by_path":
            self.client = Client(PathDispatcher(create_app(config), teams))
        else:
            self.client = Client(SubdomainDispatcher("example.com", teams))
        self.portals = DEPLOYMENTS[deployment]

    def open(self, portal: str, path: str, **kwargs: Any) -> TestResponse:
        host, prefix = self.portals[portal]
        return self.client.open(prefix + path, headers={"Host": host}, **kwargs)

    def cookie(self, portal: str) -> str:
        """The session cookie the portal set."""
        found = self.client.get_cookie(COOKIES[portal], domain=self.portals[portal][0])
        assert found is not None, f"{portal} set no cookie"
        return found.value

    def set_cookie(self, portal: str, name: str, value: str) -> None:
        """A cookie the browser sends to the portal from now on."""
        self.client.set_cookie(name, value, domain=self.portals[portal][0])


def name_field(response: TestResponse) -> str:
    """What the page's name field shows: the name in its session."""
    assert response.status_code == 200, response.text
    field = BeautifulSoup(response.text, "html.parser").find(id="name")
    assert isinstance(field, Tag), response.text
    return str(field.get("value"))


@pytest.mark.parametrize(
    ("deployment", "other"),
    [
        ("teams_by_path", "blue"),
        ("teams_by_path", "main"),
        ("teams_by_subdomain", "blue"),
    ],
)
def test_a_teams_session_replayed_to_another_portal_is_anonymous(
    config: dict[str, object], deployment: str, other: str
) -> None:
    ada = Browser(deployment, config)
    response = ada.open("red", "/name", method="POST", data={"name": "Ada"})
    assert response.status_code == 303, response.text
    assert ada.open("red", "/api/me").json == {"name": "Ada"}
    # Red's cookie, flash and all, sent to the other portal under that
    # portal's cookie name and red's: signed with red's key, it reads neither.
    mallory = Browser(deployment, config)
    for name in (COOKIES[other], "red_session"):
        mallory.set_cookie(other, name, ada.cookie("red"))
    assert mallory.open(other, "/api/me").json == {"name": None}
    page = mallory.open(other, "/")
    assert name_field(page) == ""
    assert "Hello, Ada" not in page.text
    # Each portal still keeps its own session.
    response = mallory.open(other, "/name", method="POST", data={"name": "Mallory"})
    assert response.status_code == 303, response.text
    assert mallory.open(other, "/api/me").json == {"name": "Mallory"}
    assert ada.open("red", "/api/me").json == {"name": "Ada"}


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_a_csrf_token_from_one_team_is_refused_by_another(
    config: dict[str, object], deployment: str
) -> None:
    mallory = Browser(deployment, {**config, "WTF_CSRF_ENABLED": True})
    token = csrf_token(mallory.open("red", "/").text)
    # The token with the red session it belongs to, under blue's cookie name.
    mallory.set_cookie("blue", "blue_session", mallory.cookie("red"))
    form = {"name": "Mallory", "csrf_token": token}
    assert_error_page(
        mallory.open("blue", "/name", method="POST", data=form),
        400,
        "The CSRF session token is missing.",
        site="Blue team",
        home=mallory.portals["blue"][1] + "/",
    )
    assert mallory.open("blue", "/api/me").json == {"name": None}
    # Blue's own token, from blue's page, is taken.
    form = {"name": "Bob", "csrf_token": csrf_token(mallory.open("blue", "/").text)}
    response = mallory.open("blue", "/name", method="POST", data=form)
    assert response.status_code == 303, response.text
    assert mallory.open("blue", "/api/me").json == {"name": "Bob"}


@pytest.mark.parametrize("old_key", ["old", b"old"], ids=["str", "bytes"])
@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_after_a_key_rotation_each_team_reads_only_its_own_old_sessions(
    config: dict[str, object], deployment: str, old_key: str | bytes
) -> None:
    """A fallback may be bytes, as Flask allows (os.urandom in a config file)."""
    before = Browser(deployment, {**config, "SECRET_KEY": "old"})
    for team in ("red", "blue"):
        response = before.open(team, "/name", method="POST", data={"name": "Ada"})
        assert response.status_code == 303, response.text
    rotated = {**config, "SECRET_KEY": "new", "SECRET_KEY_FALLBACKS": [old_key]}
    after = Browser(deployment, rotated)
    after.set_cookie("red", "red_session", before.cookie("red"))
    assert after.open("red", "/api/me").json == {"name": "Ada"}
    # Blue's old cookie under red's name: red falls back to its own old key only.
    after.set_cookie("red", "red_session", before.cookie("blue"))
    assert after.open("red", "/api/me").json == {"name": None}


# --- Both dispatchers: exactly one app per name, however many ask at once ---------

THREADS = 8
ROUNDS = 5


def concurrent_first_requests(
    dispatcher: SubdomainDispatcher | PathDispatcher, path: str, host: str
) -> list[TestResponse]:
    """THREADS requests for one team that has no app yet, released together."""
    barrier = threading.Barrier(THREADS)
    responses: list[TestResponse] = []

    def request() -> None:
        client = Client(dispatcher)
        barrier.wait()
        response = client.get(path, headers={"Host": host})
        response.close()
        responses.append(response)

    threads = [threading.Thread(target=request) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.parametrize(
    ("make", "path", "host"),
    [
        (lambda f: SubdomainDispatcher("example.com", f), "/", "red.example.com"),
        (lambda f: PathDispatcher(echo("default"), f), "/red/", "localhost"),
    ],
    ids=["subdomain", "path"],
)
def test_concurrent_first_requests_build_exactly_one_app(
    make: Callable[[CountingFactory], SubdomainDispatcher | PathDispatcher],
    path: str,
    host: str,
    config: dict[str, object],
) -> None:
    # A race is not lost every time: run it a few times, each on a new dispatcher.
    for _ in range(ROUNDS):
        factory = CountingFactory(config)
        dispatcher = make(factory)
        responses = concurrent_first_requests(dispatcher, path, host)
        assert [r.status_code for r in responses] == [200] * THREADS
        assert all("Red team" in r.text for r in responses)
        assert factory.calls == ["red"]


# --- wsgi.py: what a WSGI server imports --------------------------------------

WSGI_CHECK = """
import json
from werkzeug.test import Client
import wsgi
print(json.dumps([
    Client(wsgi.application).get("/api/").json["site"],
    Client(wsgi.teams_by_path).get("/red/api/").json["site"],
    Client(wsgi.teams_by_path).get("/api/").json["site"],
    Client(wsgi.teams_by_subdomain)
    .get("/api/", headers={"Host": "blue.localhost:5001"})
    .json["site"],
]))
"""


def test_wsgi_py_serves_the_portal_and_the_team_dispatchers() -> None:
    """Run where the README runs it: in the example's folder, with a secret key."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FLASK_", "PYTHON", "PORTAL_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", WSGI_CHECK],
        cwd=PROJECT,
        env={**env, "FLASK_SECRET_KEY": "from-the-environment"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["Portal", "Red team", "Portal", "Blue team"]
