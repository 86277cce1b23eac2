"""Form validation with WTForms: the registration form, its errors, CSRF."""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from wsgiref.types import WSGIApplication

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect
from playwright.sync_api import Page
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import default_exceptions
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.security import check_password_hash
from werkzeug.security import DEFAULT_PBKDF2_ITERATIONS
from werkzeug.test import Client
from werkzeug.test import TestResponse

from signup import create_app
from signup import users

STRONG_PBKDF2 = f"pbkdf2:sha256:{DEFAULT_PBKDF2_ITERATIONS}"

# The app, its client and its config (CSRF off for the validation tests; the
# CSRF tests below turn it on) come from conftest.py.
VALID = {
    "username": "bob",
    "email": "bob@example.com",
    "password": "correct horse",
    "confirm": "correct horse",
    "accept_tos": "y",
}
FIELDS = ["username", "email", "password", "confirm", "accept_tos"]


def form(**changes: str | None) -> dict[str, str]:
    """The valid form with some fields changed; None leaves a field out."""
    data: dict[str, str | None] = {**VALID, **changes}
    return {name: value for name, value in data.items() if value is not None}


def stored_users(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = users.get_db().execute("SELECT username, email FROM user ORDER BY id")
        return [tuple(row) for row in rows]


def add_user(app: Flask, username: str) -> None:
    with app.app_context():
        users.add_user(username, f"{username}@example.com", "password1")


def add_members(app: Flask, *usernames: str) -> None:
    """Members straight into the table, in order: no slow password hashing."""
    with app.app_context(), users.get_db() as db:
        db.executemany(
            "INSERT INTO user (username, email, password_hash) VALUES (?, ?, '')",
            [(name, f"{name}@example.com") for name in usernames],
        )


def field_errors(html: str) -> dict[str, list[str]]:
    """Each field's error messages, as shown next to it by render_field."""
    soup = BeautifulSoup(html, "html.parser")
    errors = {}
    for name in FIELDS:
        field = soup.find(attrs={"name": name})
        assert isinstance(field, Tag), f"no {name} field in the page"
        wrapper = field.find_parent("div")
        assert isinstance(wrapper, Tag)
        messages = [li.get_text() for li in wrapper.select("ul.error li")]
        if messages:
            # Screen readers announce the messages with the field.
            assert field.get("aria-invalid") == "true"
            assert field.get("aria-describedby") == f"{name}-errors"
            errors[name] = messages
    return errors


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def assert_error_page(response: TestResponse, status: int, message: str) -> None:
    """The app's own error page (not Werkzeug's): its layout, message, way back."""
    assert response.status_code == status, response.text
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None
    name = default_exceptions[status]().name  # "Bad Request", as Werkzeug says it
    assert soup.title.get_text() == f"{status} {name} · Sign-up"
    heading = soup.find("h1")
    assert isinstance(heading, Tag), response.text
    assert heading.get_text() == f"{status} {name}"
    description = heading.find_next_sibling("p")
    assert isinstance(description, Tag), response.text
    assert description.get_text() == message
    back = soup.find("a", string="Back to the members")
    assert isinstance(back, Tag), response.text
    assert back.get("href") == "/"


# --- The form page ------------------------------------------------------------


def test_register_page_labels_every_field_and_sets_browser_checks(
    client: FlaskClient,
) -> None:
    response = client.get("/register")
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    inputs = {tag["name"]: tag for tag in soup.select("form input")}
    assert sorted(inputs) == sorted(FIELDS)  # no csrf_token: CSRF is off here
    for name in ["username", "email", "password", "confirm"]:
        label = soup.find("label", attrs={"for": name})
        assert isinstance(label, Tag), f"{name} has no label"
    checkbox = inputs["accept_tos"]
    assert checkbox.find_parent("label") is not None  # the label wraps it
    # The validators' limits become attributes the browser checks first.
    assert inputs["username"].get("minlength") == "3"
    assert inputs["username"].get("maxlength") == "25"
    assert inputs["email"].get("type") == "email"
    assert inputs["password"].get("type") == "password"
    assert inputs["password"].get("minlength") == "8"
    assert checkbox.get("type") == "checkbox"
    assert all(inputs[n].has_attr("required") for n in FIELDS if n != "confirm")
    assert field_errors(response.text) == {}


def test_a_get_with_a_form_body_shows_the_empty_form(
    app: Flask, client: FlaskClient
) -> None:
    """A GET is never a submission: a form body sent with it fills in nothing."""
    response = client.get("/register", data=VALID)
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    values = {tag["name"]: tag.get("value") for tag in soup.select("form input")}
    assert (values["username"], values["email"]) == ("", ""), values
    assert not soup.select_one("input[name=accept_tos][checked]")
    assert stored_users(app) == []


def test_members_page_says_when_no_one_has_registered(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert "No one has registered yet." in response.text
    assert "Pages of members" not in response.text  # one page: nothing to go to


# --- Registering --------------------------------------------------------------


def test_registering_stores_the_user_and_redirects_with_a_flash(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/register", data=form())
    # Post/redirect/get: 303, so the browser follows with a GET.
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/"
    assert stored_users(app) == [("bob", "bob@example.com")]

    page = client.get("/").text
    assert "Welcome, bob! You are registered." in page
    assert "<li>bob</li>" in page
    assert "Welcome, bob!" not in client.get("/").text  # flashed once


@pytest.mark.parametrize("password_hashing", [None])  # the app's own, not the quick
def test_the_password_is_stored_only_as_a_salted_hash(
    app: Flask, client: FlaskClient
) -> None:
    client.post("/register", data=form(username="ann"))
    client.post("/register", data=form(username="cat"))
    with app.app_context():
        rows = users.get_db().execute("SELECT password_hash FROM user").fetchall()
    hashes = [row[0] for row in rows]
    assert all(check_password_hash(h, "correct horse") for h in hashes)
    assert "correct horse" not in "".join(hashes)
    assert hashes[0] != hashes[1]  # salted: same password, different hashes
    # Werkzeug's default method at its full cost (the tests' quick hashes are not).
    methods = {stored.split("$", 1)[0] for stored in hashes}
    assert all(m.startswith("scrypt:") or m == STRONG_PBKDF2 for m in methods), methods


def test_spaces_around_username_and_email_are_dropped(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/register", data=form(username="  bob ", email=" bob@example.com\t")
    )
    assert response.status_code == 303, response.text
    assert stored_users(app) == [("bob", "bob@example.com")]


def test_values_at_their_limits_are_accepted(app: Flask, client: FlaskClient) -> None:
    email = "b" * 242 + "@example.com"  # 254 characters
    password = "p" * 128
    response = client.post(
        "/register",
        data=form(username="b" * 25, email=email, password=password, confirm=password),
    )
    assert response.status_code == 303, response.text
    assert stored_users(app) == [("b" * 25, email)]


# --- Validation: a 400 with each message next to its field --------------------

NAME = "Choose a username."
LENGTH = "Use 3 to 25 characters."
CHARACTERS = "Use only letters, digits, dots, dashes and underscores."
EMAIL = "Enter an email address like name@example.com."
EMAIL_LENGTH = "An email address has at most 254 characters."
PASSWORD = "Choose a password."
PASSWORD_LENGTH = "Use 8 to 128 characters."
MISMATCH = "The two passwords do not match."
TERMS = "Accept the terms of service to register."


def bad(case: str, field: str, message: str, **changes: str | None) -> Any:
    """One row of the table: the valid form with `changes`, and what it gets."""
    return pytest.param(form(**changes), field, message, id=case)


BAD_FORMS = [
    bad("username-missing", "username", NAME, username=None),
    bad("username-blank", "username", NAME, username="   "),
    bad("username-too-short", "username", LENGTH, username="ab"),
    bad("username-too-long", "username", LENGTH, username="a" * 26),
    bad("username-space", "username", CHARACTERS, username="bob smith"),
    bad("username-html", "username", CHARACTERS, username="<b>bob</b>"),
    bad("username-nul", "username", CHARACTERS, username="b\x00b"),
    bad("username-reserved", "username", "“Admin” is reserved. Choose another.",
        username="Admin"),
    bad("username-taken", "username", "“ALICE” is taken. Choose another.",
        username="ALICE"),
    bad("email-missing", "email", "Enter your email address.", email=None),
    bad("email-no-at", "email", EMAIL, email="bob.example.com"),
    bad("email-no-dot", "email", EMAIL, email="bob@localhost"),
    bad("email-space", "email", EMAIL, email="bob smith@example.com"),
    bad("email-two-ats", "email", EMAIL, email="b@b@example.com"),
    bad("email-too-long", "email", EMAIL_LENGTH, email="b" * 243 + "@example.com"),
    bad("password-missing", "password", PASSWORD, password=None, confirm=None),
    bad("password-too-short", "password", PASSWORD_LENGTH,
        password="short", confirm="short"),
    bad("password-too-long", "password", PASSWORD_LENGTH,
        password="p" * 129, confirm="p" * 129),
    bad("passwords-differ", "password", MISMATCH, confirm="correct horsf"),
    bad("confirm-missing", "password", MISMATCH, confirm=None),
    bad("terms-unchecked", "accept_tos", TERMS, accept_tos=None),
    bad("terms-false", "accept_tos", TERMS, accept_tos="false"),
]  # fmt: skip


@pytest.fixture(scope="module")
def alice_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A users database with alice registered, made once for the module: her
    password hash is slow on purpose (scrypt), too slow to make for each test."""
    path = tmp_path_factory.mktemp("alice") / "users.sqlite"
    add_user(create_app({"TESTING": True, "DATABASE": str(path)}), "alice")
    return path


@pytest.fixture
def alice(alice_database: Path, config: dict[str, object]) -> None:
    """alice is registered: the test's database is a copy of alice_database."""
    shutil.copyfile(alice_database, str(config["DATABASE"]))


@pytest.mark.parametrize(("data", "field", "message"), BAD_FORMS)
def test_bad_input_is_a_400_with_the_message_next_to_its_field(
    alice: None,
    app: Flask,
    client: FlaskClient,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client.post("/register", data=data)
    assert response.status_code == 400, response.text
    assert field_errors(response.text) == {field: [message]}
    assert stored_users(app) == [("alice", "alice@example.com")]


def test_a_taken_name_is_shown_with_the_forms_other_errors(
    alice: None, client: FlaskClient
) -> None:
    """The form's own check finds it: one answer lists every problem at once."""
    response = client.post("/register", data=form(username="alice", confirm="other"))
    assert response.status_code == 400, response.text
    assert field_errors(response.text) == {
        "username": ["“alice” is taken. Choose another."],
        "password": [MISMATCH],
    }


def test_a_rejected_form_keeps_what_was_typed_but_not_the_passwords(
    client: FlaskClient,
) -> None:
    response = client.post("/register", data=form(accept_tos=None))
    assert response.status_code == 400, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    values = {tag["name"]: tag.get("value") for tag in soup.select("form input")}
    assert values["username"] == "bob"
    assert values["email"] == "bob@example.com"
    assert values["password"] == values["confirm"] == ""
    assert "correct horse" not in response.text


def test_a_name_taken_after_the_check_is_a_400_not_a_500(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sign-ups racing for one name: the UNIQUE constraint settles it."""
    add_user(app, "bob")
    # The other sign-up lands between the form's check and the INSERT.
    monkeypatch.setattr(users, "username_taken", lambda username: False)
    response = client.post("/register", data=form(username="BOB"))
    assert response.status_code == 400, response.text
    assert field_errors(response.text) == {
        "username": ["“BOB” is taken. Choose another."]
    }
    assert stored_users(app) == [("bob", "bob@example.com")]


def test_one_connection_per_app_context_closed_with_it(app: Flask) -> None:
    with app.app_context():
        db = users.get_db()
        assert users.get_db() is db
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        db.execute("SELECT 1")


def test_usernames_are_unique_without_regard_to_case(app: Flask) -> None:
    add_user(app, "Bob")
    with pytest.raises(users.UsernameTaken):
        add_user(app, "bOB")
    with app.app_context(), pytest.raises(sqlite3.IntegrityError):
        users.get_db().execute(
            "INSERT INTO user (username, email, password_hash) VALUES ('BOB', '', '')"
        )
    assert stored_users(app) == [("Bob", "Bob@example.com")]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(lambda: {"json": VALID}, id="json"),
        # A fresh file each run: the test client closes the one it sends.
        pytest.param(
            lambda: {"data": {**VALID, "username": (io.BytesIO(b"bob"), "bob.txt")}},
            id="file",
        ),
    ],
)
def test_only_the_browsers_form_encoding_is_read(
    app: Flask, client: FlaskClient, body: Callable[[], dict[str, Any]]
) -> None:
    """A JSON body or an uploaded file is not taken for the form's fields."""
    response = client.post("/register", **body())
    assert response.status_code == 400, response.text
    assert "Choose a username." in field_errors(response.text)["username"]
    assert stored_users(app) == []


# --- The cap and the pages ----------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "cap", "message"),
    [
        pytest.param({"USERS_MAX": 2}, 2, "2", id="2"),
        pytest.param({}, 1_000, "1,000", id="default"),
    ],
)
def test_members_are_registered_up_to_the_cap_then_refused_with_a_409(
    config: dict[str, object], setting: dict[str, int], cap: int, message: str
) -> None:
    app = create_app({**config, **setting})
    add_members(app, *(f"m{n}" for n in range(cap - 1)))
    client = app.test_client()
    response = client.post("/register", data=form())
    assert response.status_code == 303, response.text  # the last place: accepted

    response = client.post("/register", data=form(username="dan", email="d@x.org"))
    assert response.status_code == 409, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None and soup.title.get_text() == "Register · Sign-up"
    assert [p.get_text() for p in soup.select("form p.error")] == [
        f"The members list is full: {message} members at most."
    ]
    assert field_errors(response.text) == {}  # no field is at fault
    values = {tag["name"]: tag.get("value") for tag in soup.select("form input")}
    assert values["username"] == "dan"  # as typed, but for the passwords
    assert values["email"] == "d@x.org"
    assert values["password"] == values["confirm"] == ""
    assert soup.select_one("input[name=accept_tos][checked]") is not None
    stored = stored_users(app)
    assert len(stored) == cap
    assert stored[-1] == ("bob", "bob@example.com")


# The app's own hashing: the racers hash at once, then insert within moments.
@pytest.mark.parametrize("password_hashing", [None])
def test_sign_ups_racing_for_the_last_places_never_overfill_the_cap(
    config: dict[str, object],
) -> None:
    """8 sign-ups at once on one app, as a threaded server runs them: room for 3."""
    app = create_app({**config, "USERS_MAX": 3})
    start = threading.Barrier(8)

    def race(n: int) -> TestResponse:
        client = app.test_client()
        start.wait()
        return client.post("/register", data=form(username=f"racer{n}"))

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(race, range(8)))

    assert sorted(r.status_code for r in responses) == [303] * 3 + [409] * 5
    full = "The members list is full: 3 members at most."
    assert all(full in r.text for r in responses if r.status_code == 409)
    winners = {f"racer{n}" for n, r in enumerate(responses) if r.status_code == 303}
    assert {username for username, _ in stored_users(app)} == winners


def a_page(client: Client, url: str) -> tuple[list[str], str, dict[str, str]]:
    """What a page of members shows: the names, "Page n of m", and where its
    rel=prev and rel=next links go."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    names = [li.get_text() for li in soup.select("main li")]
    pager = soup.select_one("nav[aria-label='Pages of members']")
    assert pager is not None, response.text
    links = {str(a["rel"][0]): str(a["href"]) for a in pager.select("a")}
    return names, " ".join(pager.stripped_strings), links


@pytest.mark.parametrize("prefix", ["", "/mounted"])
def test_the_members_page_lists_the_newest_first_and_links_to_the_others(
    config: dict[str, object], prefix: str
) -> None:
    app = create_app({**config, "USERS_PER_PAGE": 2})
    add_members(app, "m1", "m2", "m3", "m4", "m5")
    client = Client(DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app)

    first = a_page(client, f"{prefix}/")
    assert first == (["m5", "m4"], "Page 1 of 3 Older", {"next": f"{prefix}/?page=2"})
    second = a_page(client, first[2]["next"])
    assert second == (
        ["m3", "m2"],
        "Newer Page 2 of 3 Older",
        {"prev": f"{prefix}/?page=1", "next": f"{prefix}/?page=3"},
    )
    last = a_page(client, second[2]["next"])
    assert last == (["m1"], "Newer Page 3 of 3", {"prev": f"{prefix}/?page=2"})
    assert a_page(client, last[2]["prev"]) == second


def test_the_members_page_shows_20_a_page_by_default(app: Flask) -> None:
    add_members(app, *(f"m{n}" for n in range(21)))
    client = Client(app)
    first = a_page(client, "/")
    assert first == (
        [f"m{n}" for n in range(20, 0, -1)],
        "Page 1 of 2 Older",
        {"next": "/?page=2"},
    )
    assert a_page(client, "/?page=2") == (
        ["m0"],
        "Newer Page 2 of 2",
        {"prev": "/?page=1"},
    )


@pytest.mark.parametrize(
    ("members", "number", "last"),
    [
        (0, "2", 1),
        (4, "3", 2),  # 4 members fill exactly 2 pages
        (5, "4", 3),
        (5, "0", 3),
        (5, "-1", 3),
        (5, "two", 3),
        (5, "1.5", 3),
        (5, "", 3),
        (5, "²", 3),  # a digit to str.isdigit(), not to int()
        (5, "9" * 5000, 3),  # too long for int()
    ],
)
def test_a_page_past_the_last_or_no_page_number_is_the_apps_404_page(
    config: dict[str, object], members: int, number: str, last: int
) -> None:
    app = create_app({**config, "USERS_PER_PAGE": 2})
    add_members(app, *(f"m{n}" for n in range(members)))
    response = app.test_client().get("/", query_string={"page": number})
    message = f"There is no such page of members: the last is page {last}."
    assert_error_page(response, 404, message)


# --- Bad requests: the app's own pages, never a 500 ---------------------------


def form_of(size: int) -> str:
    """The valid form, URL-encoded, padded to exactly `size` bytes with a field
    the form does not have (and ignores)."""
    head = urlencode(VALID) + "&padding="
    return head + "x" * (size - len(head))


def test_a_form_of_exactly_16_kib_is_read(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/register",
        data=form_of(16 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 303, response.text
    assert stored_users(app) == [("bob", "bob@example.com")]


def test_a_form_one_byte_over_16_kib_is_a_413(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/register",
        data=form_of(16 * 1024 + 1),
        content_type="application/x-www-form-urlencoded",
    )
    assert_error_page(response, 413, RequestEntityTooLarge.description)
    assert stored_users(app) == []


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nvalue",
        b'Content-Disposition: form-data; filename="f.txt"\r\n\r\ndata',
    ],
    ids=["field", "file"],
)
def test_a_multipart_part_with_no_name_is_a_400(csrf_app: Flask, part: bytes) -> None:
    """Werkzeug files it under the key None, where the CSRF check would fail."""
    response = csrf_app.test_client().post(
        "/register",
        data=b"--B\r\n" + part + b"\r\n--B--\r\n",
        content_type="multipart/form-data; boundary=B",
    )
    assert_error_page(response, 400, "Every part of a multipart form needs a name.")
    assert stored_users(csrf_app) == []


class ServerError(Exception):
    """What gunicorn raises from inside a read of a malformed chunked body."""


class MalformedBody:
    """The server's input stream on a malformed chunked body."""

    def read(self, size: int = -1) -> bytes:
        raise ServerError("Invalid chunk size")


def test_a_body_the_server_fails_to_read_is_a_400(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/register",
        data=urlencode(VALID),  # the Content-Length of a body to read
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": MalformedBody()},
    )
    assert_error_page(response, 400, BadRequest.description)
    assert stored_users(app) == []


def test_a_method_the_page_does_not_take_is_a_405_that_says_which_it_does(
    client: FlaskClient,
) -> None:
    response = client.delete("/register")
    assert_error_page(response, 405, MethodNotAllowed.description)
    assert sorted(response.headers["Allow"].split(", ")) == [
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    ]


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


# --- CSRF on ------------------------------------------------------------------


@pytest.fixture
def csrf_app(config: dict[str, object]) -> Flask:
    """The app with Flask-WTF's default left as it is: CSRF on."""
    return create_app({k: v for k, v in config.items() if k != "WTF_CSRF_ENABLED"})


def test_with_csrf_on_the_token_from_the_page_lets_the_form_through(
    csrf_app: Flask,
) -> None:
    client = csrf_app.test_client()
    page = client.get("/register")
    # The token's session cookie stays on this site's own requests and links.
    assert "SameSite=Lax" in page.headers["Set-Cookie"]
    token = csrf_token(page.text)
    response = client.post("/register", data={**VALID, "csrf_token": token})
    assert response.status_code == 303, response.text
    assert stored_users(csrf_app) == [("bob", "bob@example.com")]


@pytest.mark.parametrize(
    ("token", "message"),
    [
        pytest.param(None, "The CSRF token is missing.", id="missing"),
        pytest.param("forged", "The CSRF token is invalid.", id="wrong"),
    ],
)
def test_with_csrf_on_a_post_without_the_pages_token_is_refused(
    csrf_app: Flask, token: str | None, message: str
) -> None:
    client = csrf_app.test_client()
    client.get("/register")  # a session, so only the token is at fault
    data = VALID if token is None else {**VALID, "csrf_token": token}
    response = client.post("/register", data=data)
    assert_error_page(response, 400, message)
    assert stored_users(csrf_app) == []


def test_with_csrf_on_another_browsers_token_is_refused(csrf_app: Flask) -> None:
    token = csrf_token(csrf_app.test_client().get("/register").text)
    response = csrf_app.test_client().post(
        "/register", data={**VALID, "csrf_token": token}
    )
    assert_error_page(response, 400, "The CSRF session token is missing.")
    assert stored_users(csrf_app) == []


# --- In a browser ---------------------------------------------------------------


@contextmanager
def serve(
    page: Page,
    live_server: Callable[[WSGIApplication], str],
    config: dict[str, object],
    prefix: str,
) -> Iterator[str]:
    """The app with CSRF on behind a real server, at the root or under a
    prefix: its base URL. No JavaScript error allowed."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    wsgi = DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app
    yield live_server(wsgi) + prefix
    assert errors == []


def fill_in_registration(page: Page, username: str, email: str) -> None:
    """Fill in the form as a person would, and send it with its button."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill("correct horse")
    page.get_by_label("Repeat the password").fill("correct horse")
    page.get_by_label("I accept the terms of service").check()
    page.get_by_role("button", name="Register").click()


@pytest.mark.browser
@pytest.mark.parametrize("prefix", ["", "/mounted"])
def test_registering_in_a_browser_then_again_with_the_same_name(
    page: Page,
    live_server: Callable[[WSGIApplication], str],
    config: dict[str, object],
    prefix: str,
) -> None:
    with serve(page, live_server, config, prefix) as base:
        page.goto(f"{base}/")
        page.get_by_role("navigation").get_by_role("link", name="Register").click()
        expect(page).to_have_url(f"{base}/register")
        # CSRF is on: the form sends the page's own token, or it is refused.
        expect(page.locator("input[name=csrf_token]")).to_have_value(re.compile(".+"))

        fill_in_registration(page, "alice", "alice@example.com")
        expect(page).to_have_url(f"{base}/")
        expect(page).to_have_title("Members · Sign-up")
        expect(page.get_by_role("status")).to_have_text(
            "Welcome, alice! You are registered."
        )
        expect(page.get_by_role("listitem")).to_have_text(["alice"])

        page.get_by_role("navigation").get_by_role("link", name="Register").click()
        fill_in_registration(page, "alice", "other@example.com")
        # The form again, at its own address, with the error under its field.
        expect(page).to_have_url(f"{base}/register")
        expect(page).to_have_title("Register · Sign-up")
        username = page.get_by_label("Username")
        expect(username).to_have_value("alice")
        expect(username).to_have_attribute("aria-invalid", "true")
        taken = "“alice” is taken. Choose another."
        expect(username).to_have_accessible_description(taken)
        expect(page.locator("#username + ul.error")).to_have_text(taken)
        expect(page.locator(".error")).to_have_count(1)  # only that field
        expect(page.get_by_role("status")).to_have_count(0)  # no welcome

        page.get_by_role("link", name="Sign-up").click()
        expect(page.get_by_role("listitem")).to_have_text(["alice"])


# --- Configuration ------------------------------------------------------------


def test_runs_in_debug_mode_without_a_secret_key(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The README's `flask --app signup run --debug`: no key set, CSRF on.
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DATABASE", raising=False)
    app = create_app()
    assert app.debug
    client = app.test_client()
    token = csrf_token(client.get("/register").text)
    response = client.post("/register", data={**VALID, "csrf_token": token})
    assert response.status_code == 303, response.text
    assert stored_users(app) == [("bob", "bob@example.com")]
    assert (instance_folder / "users.sqlite").is_file()


MISSING_KEY = (
    "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
    "'import secrets; print(secrets.token_hex())'), or run with --debug."
)


@pytest.mark.parametrize(
    "secret",
    [None, "", "12345"],  # 12345 is read as JSON: a number, not a string
    ids=["unset", "empty", "a-number"],
)
def test_outside_debug_the_app_refuses_to_start_without_a_secret_key(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    if secret is None:
        monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("FLASK_SECRET_KEY", secret)
    with pytest.raises(RuntimeError) as refused:
        create_app()
    assert str(refused.value) == MISSING_KEY


def test_environment_variables_set_the_secret_key_and_the_database(
    instance_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere.sqlite"
    monkeypatch.setenv("FLASK_DEBUG", "1")  # a secret that is set is kept in debug too
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("FLASK_DATABASE", str(elsewhere))
    app = create_app()
    assert app.secret_key == "from-the-environment"
    add_user(app, "bob")
    with sqlite3.connect(elsewhere) as connection:
        rows = connection.execute("SELECT username FROM user").fetchall()
    connection.close()
    assert rows == [("bob",)]
    assert not (instance_folder / "users.sqlite").exists()


def test_instance_config_file_sets_the_database(
    instance_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ["FLASK_DEBUG", "FLASK_SECRET_KEY", "FLASK_DATABASE"]:
        monkeypatch.delenv(name, raising=False)
    elsewhere = tmp_path / "elsewhere.sqlite"
    instance_folder.mkdir()
    (instance_folder / "config.py").write_text(
        f"DATABASE = {str(elsewhere)!r}\n"
        'SECRET_KEY = "from-the-file"\n'
        "WTF_CSRF_ENABLED = False\n"
    )

    app = create_app()  # a test config would take the file's place
    response = app.test_client().post("/register", data=form())

    assert response.status_code == 303, response.text
    with sqlite3.connect(elsewhere) as connection:
        rows = connection.execute("SELECT username FROM user").fetchall()
    connection.close()
    assert rows == [("bob",)]
    assert not (instance_folder / "users.sqlite").exists()
