"""Message flashing: messages cross a redirect, keep their category, show once."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from wsgiref.types import WSGIApplication

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect
from playwright.sync_api import Page
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import TestResponse

from mailing_list import create_app


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def subscribe(client: FlaskClient, email: str) -> TestResponse:
    return client.post("/subscribe", data={"email": email})


def unsubscribe(client: FlaskClient, email: str) -> TestResponse:
    return client.post("/unsubscribe", data={"email": email})


Action = Callable[[FlaskClient, str], TestResponse]


def visit(client: FlaskClient, path: str = "/") -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def notices(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """The messages shown as status lines: (category class, text), in order."""
    shown = []
    for p in soup.select("main > p.flash[role=status]"):
        classes = [c for c in p.get_attribute_list("class") if c != "flash"]
        assert len(classes) == 1, p
        shown.append((classes[0], p.get_text()))
    return shown


def errors(soup: BeautifulSoup) -> list[str]:
    """The messages in the error box, in order."""
    boxes = soup.select("main > .flash.error[role=alert]")
    assert len(boxes) <= 1
    return [li.get_text() for box in boxes for li in box.select("li")]


def typed(soup: BeautifulSoup) -> str:
    """What the form's address field holds."""
    field = soup.select_one("form input[name=email]")
    assert isinstance(field, Tag)
    value = field.get("value")
    assert isinstance(value, str)
    return value


def assert_error_page(response: TestResponse, status: int, message: str) -> None:
    """The app's error page, in its layout, with the status and what went wrong."""
    assert response.status_code == status, response.text
    assert f"<h1>{status} {HTTPStatus(status).phrase}</h1>" in response.text
    assert f"<p>{message}</p>" in response.text
    assert "Back to the mailing list" in response.text


def stored_count(client: FlaskClient) -> int:
    """The count the index page states (it consumes no message when none waits)."""
    text = visit(client).select_one("main > p:not(.flash)")
    assert isinstance(text, Tag)
    return int(text.get_text().split()[0])


# --- Across the redirect, and only once ----------------------------------------


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_subscribing_flashes_a_message_that_the_next_page_shows(
    client: FlaskClient, content_type: str
) -> None:
    response = client.post(
        "/subscribe", data={"email": "ann@example.com"}, content_type=content_type
    )
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/"
    assert "Subscribed" not in response.text  # not in the redirect itself
    assert notices(visit(client)) == [("success", "Subscribed ann@example.com.")]


def test_a_message_is_shown_once_then_gone(client: FlaskClient) -> None:
    subscribe(client, "ann@example.com")
    assert notices(visit(client)) == [("success", "Subscribed ann@example.com.")]
    assert notices(visit(client)) == []
    assert notices(visit(client, "/unsubscribe")) == []


def test_a_message_waits_for_whichever_page_comes_next(client: FlaskClient) -> None:
    subscribe(client, "ann@example.com")
    # Not the page the redirect named: the first page rendered takes it.
    assert notices(visit(client, "/unsubscribe")) == [
        ("success", "Subscribed ann@example.com.")
    ]
    assert notices(visit(client)) == []


def test_following_the_redirect_shows_the_message_on_the_target(
    client: FlaskClient,
) -> None:
    subscribe(client, "ann@example.com")
    response = unsubscribe(client, "ann@example.com")
    assert response.headers["Location"] == "/"
    # The unsubscribe message is shown on the list page, with the earlier one.
    response = client.get(response.headers["Location"])
    soup = BeautifulSoup(response.text, "html.parser")
    assert notices(soup) == [
        ("success", "Subscribed ann@example.com."),
        ("message", "Unsubscribed ann@example.com."),
    ]


def test_messages_are_per_visitor(app: Flask, client: FlaskClient) -> None:
    subscribe(client, "ann@example.com")
    other = app.test_client()
    assert notices(visit(other)) == []
    assert notices(visit(client)) == [("success", "Subscribed ann@example.com.")]


# --- Categories -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "action", "email", "location", "category", "text"),
    [
        pytest.param(
            [], subscribe, "ann@example.com", "/", "success",
            "Subscribed ann@example.com.", id="subscribed",
        ),
        pytest.param(
            [subscribe], subscribe, "ann@example.com", "/", "warning",
            "ann@example.com is already on the list.", id="already-there",
        ),
        pytest.param(
            [subscribe], unsubscribe, "ann@example.com", "/", "message",
            "Unsubscribed ann@example.com.", id="unsubscribed-default-category",
        ),
    ],
)  # fmt: skip
def test_each_outcome_is_shown_with_its_category_as_a_class(
    client: FlaskClient,
    before: list[Action],
    action: Action,
    email: str,
    location: str,
    category: str,
    text: str,
) -> None:
    for step in before:
        step(client, email)
    visit(client)  # show and clear the setup's messages
    response = action(client, email)
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == location
    soup = visit(client)
    assert notices(soup) == [(category, text)]
    assert errors(soup) == []


def test_an_error_goes_back_to_its_form_and_shows_in_the_alert_box(
    client: FlaskClient,
) -> None:
    response = unsubscribe(client, "nobody@example.com")
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/unsubscribe"
    soup = visit(client, "/unsubscribe")
    assert errors(soup) == ["nobody@example.com is not on the list."]
    assert notices(soup) == []


def test_a_full_list_is_flashed_as_an_error_and_stores_nothing(
    config: dict[str, object],
) -> None:
    client = create_app({**config, "MAILING_LIST_CAPACITY": 2}).test_client()
    subscribe(client, "a@example.com")
    subscribe(client, "b@example.com")
    visit(client)
    response = subscribe(client, "c@example.com")
    assert response.status_code == 303, response.text
    soup = visit(client)
    assert errors(soup) == ["The list is full: no new subscriptions for now."]
    assert notices(soup) == []
    assert stored_count(client) == 2


def test_category_filter_splits_errors_from_the_other_messages(
    client: FlaskClient,
) -> None:
    # Three outcomes pile up before any page is shown.
    subscribe(client, "ann@example.com")
    unsubscribe(client, "bob@example.com")
    subscribe(client, "ann@example.com")
    soup = visit(client)
    # The error is only in the alert box, the others only as status lines,
    # each group in the order it was flashed.
    assert errors(soup) == ["bob@example.com is not on the list."]
    assert notices(soup) == [
        ("success", "Subscribed ann@example.com."),
        ("warning", "ann@example.com is already on the list."),
    ]
    # The alert box comes first, before the page's own content.
    main = soup.select_one("main")
    assert isinstance(main, Tag)
    first = main.find(True)
    assert isinstance(first, Tag)
    assert first.get("role") == "alert"


def test_messages_are_escaped(client: FlaskClient) -> None:
    response = subscribe(client, "o'brien&co@example.com")
    assert response.status_code == 303, response.text
    html = client.get("/").text
    assert "Subscribed o&#39;brien&amp;co@example.com." in html
    soup = BeautifulSoup(html, "html.parser")
    assert notices(soup) == [("success", "Subscribed o'brien&co@example.com.")]


# --- The session cookie stays small ---------------------------------------------


def long_address(seed: int) -> str:
    """A valid address of about 230 random characters: it hardly compresses."""
    rng = random.Random(seed)
    labels = ["".join(rng.choices(string.ascii_lowercase, k=40)) for _ in range(4)]
    local = "".join(rng.choices(string.ascii_lowercase + string.digits, k=60))
    return f"{local}@{'.'.join(labels)}.org"


def test_waiting_messages_are_capped_so_the_cookie_stays_small(
    client: FlaskClient,
) -> None:
    # A script that never loads a page: without the cap, twenty long messages
    # would pass 4 KB, and Werkzeug's "cookie is too large" warning fails this
    # test (browsers would drop the cookie). 21, a count that is not a multiple
    # of five, shows that the newest five are kept.
    emails = [long_address(seed) for seed in range(21)]
    for email in emails:
        response = subscribe(client, email)
        assert response.status_code == 303, response.text
        cookie = response.headers.get("Set-Cookie", "")
        assert len(cookie) < 4093
    assert notices(visit(client)) == [
        ("success", f"Subscribed {email}.") for email in emails[-5:]
    ]
    assert stored_count(client) == 21  # every subscription was kept


# --- Bad input: the form again, no message flashed ------------------------------


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        ("", "Enter an email address such as name@example.com."),
        ("   ", "Enter an email address such as name@example.com."),
        ("ann", "Enter an email address such as name@example.com."),
        ("ann@example", "Enter an email address such as name@example.com."),
        ("ann@@example.com", "Enter an email address such as name@example.com."),
        ("ann smith@example.com", "Enter an email address such as name@example.com."),
        ("<b>@example.com", "Enter an email address such as name@example.com."),
        ("ann@example.com\x00", "Enter an email address such as name@example.com."),
        ("ann@-example.com", "Enter an email address such as name@example.com."),
        ("a" * 243 + "@example.com", "An email address has at most 254 characters."),
    ],
)
@pytest.mark.parametrize(
    ("path", "heading"), [("/subscribe", "Subscribe"), ("/unsubscribe", "Unsubscribe")]
)
def test_a_bad_address_is_a_400_with_the_form_and_flashes_nothing(
    client: FlaskClient, path: str, heading: str, email: str, problem: str
) -> None:
    response = client.post(path, data={"email": email})
    assert response.status_code == 400, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert [p.get_text() for p in soup.select("form p.error")] == [problem]
    # The form keeps the address as it was read: trimmed, lower-cased, at most 254.
    assert typed(soup) == email.strip().lower()[:254]
    h1 = soup.select_one("main h1")
    assert isinstance(h1, Tag) and h1.get_text() == heading
    assert notices(soup) == [] and errors(soup) == []
    assert notices(visit(client)) == []  # nothing waits for the next page
    assert stored_count(client) == 0


def test_a_missing_field_is_a_400_with_an_empty_form(client: FlaskClient) -> None:
    subscribe(client, "ann@example.com")
    visit(client)
    response = client.post("/subscribe", data={})
    assert response.status_code == 400, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    count = soup.select_one("main > p:not(.flash)")
    assert isinstance(count, Tag)
    assert count.get_text().split(".")[0].strip() == "1 address is on the list"
    assert [p.get_text() for p in soup.select("form p.error")] == [
        "Enter an email address such as name@example.com."
    ]
    assert typed(soup) == ""


def test_addresses_are_stored_lower_cased(client: FlaskClient) -> None:
    subscribe(client, "  Ann@Example.COM ")
    visit(client)
    subscribe(client, "ann@example.com")
    assert notices(visit(client)) == [
        ("warning", "ann@example.com is already on the list.")
    ]
    assert stored_count(client) == 1


def test_an_address_of_254_characters_is_accepted(client: FlaskClient) -> None:
    email = "a" * 242 + "@example.com"
    assert len(email) == 254
    assert subscribe(client, email).status_code == 303
    assert stored_count(client) == 1


def test_the_forms_are_post_only(client: FlaskClient) -> None:
    response = client.get("/subscribe")
    assert_error_page(response, 405, "The method is not allowed for the requested URL.")
    assert set(response.allow) == {"POST", "OPTIONS"}  # says what it takes
    assert response.mimetype == "text/html"


# --- Limits and broken requests: the app's own 4xx page, never a 500 -------------


def form_of(size: int) -> str:
    """A subscription to ann@example.com, padded to `size` bytes."""
    body = "email=ann%40example.com&pad="
    return body + "x" * (size - len(body))


def test_a_form_of_exactly_4_kib_is_read(client: FlaskClient) -> None:
    response = client.post(
        "/subscribe",
        data=form_of(4 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 303, response.text
    assert notices(visit(client)) == [("success", "Subscribed ann@example.com.")]


def test_a_form_one_byte_over_4_kib_is_a_413(client: FlaskClient) -> None:
    response = client.post(
        "/subscribe",
        data=form_of(4 * 1024 + 1),
        content_type="application/x-www-form-urlencoded",
    )
    assert_error_page(response, 413, RequestEntityTooLarge.description)
    assert stored_count(client) == 0


def test_the_list_takes_10_000_addresses_then_is_full(
    app: Flask, client: FlaskClient
) -> None:
    mailing_list = app.extensions["mailing_list"]
    for n in range(9_999):  # filled directly: ten thousand posts would be slow
        assert mailing_list.add(f"{n}@example.com") == "added"
    subscribe(client, "last@example.com")
    assert notices(visit(client)) == [("success", "Subscribed last@example.com.")]
    subscribe(client, "one-more@example.com")
    assert errors(visit(client)) == ["The list is full: no new subscriptions for now."]
    assert stored_count(client) == 10_000


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nann@example.com",
        b'Content-Disposition: form-data; filename="f.txt"\r\n\r\ndata',
    ],
    ids=["field", "file"],
)
def test_a_multipart_part_with_no_name_is_a_400(
    client: FlaskClient, part: bytes
) -> None:
    """Werkzeug files it under the key None, where the CSRF check would fail."""
    response = client.post(
        "/subscribe",
        data=b"--B\r\n" + part + b"\r\n--B--\r\n",
        content_type="multipart/form-data; boundary=B",
    )
    assert_error_page(response, 400, "Every part of a multipart form needs a name.")
    assert stored_count(client) == 0


class ServerError(Exception):
    """What gunicorn raises from inside a read of a malformed chunked body."""


class MalformedBody:
    """The server's input stream on a malformed chunked body."""

    def read(self, size: int = -1) -> bytes:
        raise ServerError("Invalid chunk size")


def test_a_body_the_server_fails_to_read_is_a_400(client: FlaskClient) -> None:
    response = client.post(
        "/subscribe",
        data="email=ann%40example.com",  # the Content-Length of a body to read
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": MalformedBody()},
    )
    assert_error_page(response, 400, BadRequest.description)
    assert stored_count(client) == 0


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


# --- CSRF ---------------------------------------------------------------------


def test_csrf_refuses_a_post_without_the_token_and_accepts_the_pages_token(
    config: dict[str, object],
) -> None:
    client = create_app({**config, "WTF_CSRF_ENABLED": True}).test_client()

    response = subscribe(client, "ann@example.com")
    assert response.status_code == 400, response.text
    assert "The CSRF token is missing." in response.text
    assert notices(visit(client)) == []
    assert stored_count(client) == 0

    token = csrf_token(client.get("/").text)
    response = client.post(
        "/subscribe", data={"email": "ann@example.com", "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    assert notices(visit(client)) == [("success", "Subscribed ann@example.com.")]


# --- The factory: its secret and its session cookie -------------------------------


def test_the_cookie_with_the_messages_goes_only_to_the_same_site(
    client: FlaskClient,
) -> None:
    response = subscribe(client, "ann@example.com")
    [header] = response.headers.getlist("Set-Cookie")
    assert header.startswith("session=")
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


# --- In a browser ---------------------------------------------------------------


Serve = Callable[[str], AbstractContextManager[str]]


@pytest.fixture
def serve(
    page: Page,
    config: dict[str, object],
    live_server: Callable[[WSGIApplication], str],
) -> Serve:
    """`with serve(prefix) as base:` the app with CSRF on, on a live server, at
    the root or under a prefix: its base URL. No JavaScript error allowed."""

    @contextmanager
    def serving(prefix: str) -> Iterator[str]:
        js_errors: list[str] = []
        page.on("pageerror", lambda error: js_errors.append(str(error)))
        app = create_app({**config, "WTF_CSRF_ENABLED": True})
        wsgi = DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app
        yield live_server(wsgi) + prefix
        assert js_errors == []

    return serving


@pytest.mark.browser
@pytest.mark.parametrize("prefix", ["", "/mounted"])
def test_in_a_browser_the_message_shows_once_and_a_reload_clears_it(
    page: Page, serve: Serve, prefix: str
) -> None:
    with serve(prefix) as base:
        page.goto(f"{base}/")
        expect(page.get_by_text("0 addresses are on the list.")).to_be_visible()
        page.get_by_label("Email address").fill("Ada@Example.com")
        page.get_by_role("button", name="Subscribe").click()

        expect(page).to_have_url(f"{base}/")  # the redirect, followed
        notice = page.get_by_role("status")
        expect(notice).to_have_count(1)
        expect(notice).to_have_text("Subscribed ada@example.com.")
        expect(notice).to_have_class("flash success")
        expect(page.get_by_text("1 address is on the list.")).to_be_visible()

        page.reload()  # a GET of the page: no form sent again, no message
        expect(page.get_by_text("1 address is on the list.")).to_be_visible()
        expect(page.get_by_role("status")).to_have_count(0)
        expect(page.get_by_role("alert")).to_have_count(0)


@pytest.mark.browser
@pytest.mark.parametrize("prefix", ["", "/mounted"])
def test_in_a_browser_an_error_shows_in_the_alert_box_on_its_form_once(
    page: Page, serve: Serve, prefix: str
) -> None:
    with serve(prefix) as base:
        page.goto(f"{base}/")
        page.get_by_role("navigation").get_by_role("link", name="Unsubscribe").click()
        page.get_by_label("Email address").fill("nobody@example.com")
        page.get_by_role("button", name="Unsubscribe").click()

        expect(page).to_have_url(f"{base}/unsubscribe")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("That did not work:")
        expect(alert.get_by_role("listitem")).to_have_text(
            ["nobody@example.com is not on the list."]
        )
        expect(page.get_by_role("status")).to_have_count(0)

        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
        expect(page.get_by_role("alert")).to_have_count(0)
