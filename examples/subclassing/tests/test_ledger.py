"""Subclassing Flask: each custom class, side by side with plain Flask, then the
ledger built on them."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from datetime import date
from datetime import datetime
from datetime import UTC
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask import request
from flask.json.provider import DefaultJSONProvider
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.test import Client
from werkzeug.test import TestResponse

from ledger import create_app
from ledger.custom import LedgerFlask
from ledger.custom import LedgerJSONProvider
from ledger.custom import LedgerRequest
from ledger.custom import SecureResponse
from ledger.db import get_db
from ledger.expenses import Category

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}
EXPENSE = {"amount": "19.99", "category": "food", "spent_on": "2024-05-01"}


def plain_flask() -> Flask:
    """A plain Flask app with the same kind of routes, to compare with."""
    plain = Flask(__name__)

    @plain.get("/")
    def index() -> str:
        return "plain"

    return plain


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def body(response: TestResponse) -> Any:
    return json.loads(response.get_data())


def stored(app: Flask) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        rows = get_db().execute(
            "SELECT amount, category, spent_on, note FROM expense ORDER BY id"
        )
        return [tuple(row) for row in rows]


# --- The subclass -------------------------------------------------------------


def test_the_factory_builds_the_subclass_with_its_three_classes(app: Flask) -> None:
    assert isinstance(app, LedgerFlask)
    assert app.request_class is LedgerRequest
    assert app.response_class is SecureResponse
    assert isinstance(app.json, LedgerJSONProvider)
    assert app.secret_key == "test"  # the configured secret, not the development one


def test_a_plain_request_keeps_the_order_of_repeated_form_fields() -> None:
    # Why the docs' example (parameter_storage_class = ImmutableOrderedMultiDict,
    # deprecated in Werkzeug 3.1, removed in 3.2) is not needed: the plain
    # MultiDict already keeps the order of the fields and of each one's values.
    sent = [("b", "1"), ("a", "2"), ("b", "3"), ("c", "4"), ("a", "5")]
    with plain_flask().test_request_context(method="POST", data=MultiDict(sent)):
        assert list(request.form) == ["b", "a", "c"]
        assert request.form.getlist("b") == ["1", "3"]
        assert request.form.getlist("a") == ["2", "5"]


# --- The request class: a validated request id --------------------------------


def test_a_plain_flask_request_has_no_request_id() -> None:
    with plain_flask().test_request_context(headers={"X-Request-ID": "abcd-1234"}):
        assert not hasattr(request, "request_id")


def test_a_well_formed_request_id_is_kept_and_echoed(app: Flask, wire: Client) -> None:
    with app.test_request_context(headers={"X-Request-ID": "trace.abcd-1234"}):
        assert request.request_id == "trace.abcd-1234"  # type: ignore[attr-defined]
    response = wire.get("/", headers={"X-Request-ID": "trace.abcd-1234"})
    assert response.headers["X-Request-ID"] == "trace.abcd-1234"
    assert "trace.abcd-1234" in response.get_data(as_text=True)  # shown on the page


@pytest.mark.parametrize(
    "given",
    [
        "",
        "short",
        "x" * 65,
        "abc def 123",
        "<script>x</script>",
        "id\u00e9\u00e9\u00e9\u00e9\u00e9",
    ],
)
def test_any_other_request_id_is_replaced_by_a_new_one(
    wire: Client, given: str
) -> None:
    first = wire.get("/", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    second = wire.get("/", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0  # a fresh uuid4 hex
    assert first != second != given


def test_error_pages_name_their_request_too(wire: Client) -> None:
    response = wire.get("/no/such/page", headers={"X-Request-ID": "lost-1234"})
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.headers["X-Request-ID"] == "lost-1234"
    assert "lost-1234" in response.get_data(as_text=True)


# --- The response class: security headers by default --------------------------


def test_a_plain_flask_response_has_no_security_headers() -> None:
    response = Client(plain_flask()).get("/")
    assert not set(SECURITY_HEADERS) & set(response.headers.keys())


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),  # a page
        ("GET", "/api/expenses", 200),  # JSON
        ("POST", "/expenses", 303),  # a redirect
        ("GET", "/static/style.css", 200),  # a file Flask sends
        ("GET", "/nowhere", 404),  # an error page
        ("GET", "/api/nowhere", 404),  # a JSON error
        ("DELETE", "/", 405),  # raised while routing
    ],
)
def test_every_kind_of_response_carries_the_security_headers(
    wire: Client, method: str, path: str, status: int
) -> None:
    response = wire.open(path, method=method, data=EXPENSE)
    assert response.status_code == status, response.get_data(as_text=True)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    response.close()


def test_a_header_set_by_whoever_makes_the_response_wins() -> None:
    response = SecureResponse("x", headers={"Referrer-Policy": "no-referrer"})
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- The JSON provider: ISO 8601, enums, exact decimals, UTF-8 ------------------

VALUES = {
    "at": datetime(2024, 5, 1, 9, 30, 15, tzinfo=UTC),
    "on": date(2024, 5, 1),
    "amount": Decimal("19.90"),
    "city": "Zürich",
}


def test_plain_flask_writes_http_dates_escapes_and_cannot_write_an_enum() -> None:
    plain = plain_flask().json
    assert json.loads(plain.dumps(VALUES)) == {
        "amount": "19.90",
        "at": "Wed, 01 May 2024 09:30:15 GMT",  # no offset
        "city": "Zürich",
        "on": "Wed, 01 May 2024 00:00:00 GMT",  # a date became a midnight
    }
    assert "Z\\u00fcrich" in plain.dumps(VALUES)
    with pytest.raises(TypeError, match="Category"):
        plain.dumps({"category": Category.FOOD})


def test_the_provider_writes_iso_8601_enum_values_and_utf_8(app: Flask) -> None:
    text = app.json.dumps({**VALUES, "category": Category.FOOD})
    assert text == (
        '{"amount": "19.90", "at": "2024-05-01T09:30:15+00:00", '
        '"category": "food", "city": "Zürich", "on": "2024-05-01"}'
    )


def test_the_provider_reads_json_numbers_as_exact_decimals(app: Flask) -> None:
    plain = plain_flask().json
    assert plain.loads('{"amount": 0.1}')["amount"] == 0.1  # a float
    assert app.json.loads('{"amount": 0.1}') == {"amount": Decimal("0.1")}
    assert app.json.loads("[1, 2.50]") == [1, Decimal("2.50")]  # ints stay ints


# --- The ledger, through the three classes -------------------------------------


def test_the_api_stores_a_json_amount_exactly(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/api/expenses",
        json={**EXPENSE, "amount": 19.99, "note": "Lunch in Zürich"},
    )
    assert response.status_code == 201, response.text
    created = body(response)
    assert created == {
        "id": 1,
        "amount": "19.99",
        "category": "food",
        "spent_on": "2024-05-01",
        "note": "Lunch in Zürich",
        "created_at": created["created_at"],
    }
    # ISO 8601 in UTC, to the second: "2024-05-01T09:30:15+00:00".
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", created["created_at"])
    assert stored(app) == [("19.99", "food", "2024-05-01", "Lunch in Zürich")]
    assert body(client.get("/api/expenses")) == {
        "expenses": [created],
        "total": "19.99",
    }


def test_an_empty_ledger_totals_zero_in_cents(client: FlaskClient) -> None:
    assert body(client.get("/api/expenses")) == {"expenses": [], "total": "0.00"}
    assert "No expenses yet." in client.get("/").text


def test_with_plain_flasks_provider_the_same_amount_is_refused(app: Flask) -> None:
    # 19.99 arrives as a binary float (19.989999...), which no ledger should
    # take: the API refuses floats outright.
    app.json = DefaultJSONProvider(app)
    response = app.test_client().post(
        "/api/expenses", json={**EXPENSE, "amount": 19.99}
    )
    assert response.status_code == 400, response.text
    assert "The amount must be a number" in body(response)["message"]
    assert stored(app) == []


def test_the_total_is_exact(client: FlaskClient) -> None:
    for amount in ("0.10", "0.20", "1000000", "0.01"):
        response = client.post("/expenses", data={**EXPENSE, "amount": amount})
        assert response.status_code == 303, response.text
    listing = body(client.get("/api/expenses"))
    assert listing["total"] == "1000000.31"  # floats would say 1000000.3100000001
    assert [e["amount"] for e in listing["expenses"]] == [
        "0.01",
        "1000000.00",
        "0.20",
        "0.10",
    ]
    assert listing["expenses"][0]["category"] == "food"
    assert "1000000.31" in client.get("/").text


AMOUNT_ERROR = "The amount must be a number from 0.01 to 1,000,000."
CATEGORY_ERROR = "The category must be one of food, travel, office, other."
DATE_ERROR = "The date must be written YYYY-MM-DD."
NOTE_ERROR = "The note must be one line of up to 200 characters."


def the_form(html: str) -> dict[str, Any]:
    """The add form on a page as a user sees it: each field's value, the choices,
    the note's length limit and the error messages."""
    form = BeautifulSoup(html, "html.parser").select_one("form")
    assert form is not None, "the page has no form"

    def attribute(selector: str, name: str) -> str | None:
        tag = form.select_one(selector)
        return None if tag is None else str(tag[name])

    return {
        "values": {
            "amount": attribute("#amount", "value"),
            "category": attribute("option[selected]", "value"),
            "spent_on": attribute("#spent_on", "value"),
            "note": attribute("#note", "value"),
        },
        "categories": [o["value"] for o in form.select("option")],
        "note_max": attribute("#note", "maxlength"),
        "errors": [p.text for p in form.select("p.error")],
    }


def test_the_form_offers_every_category_and_says_the_note_limit(
    client: FlaskClient,
) -> None:
    assert the_form(client.get("/").text) == {
        "values": {"amount": "", "category": None, "spent_on": "", "note": ""},
        "categories": ["food", "travel", "office", "other"],
        "note_max": "200",
        "errors": [],
    }


def test_an_added_expense_is_flashed_on_the_ledger_page(client: FlaskClient) -> None:
    response = client.post("/expenses", data=EXPENSE)
    assert response.status_code == 303, response.text
    assert response.location == "/"
    page = BeautifulSoup(client.get(response.location).text, "html.parser")
    assert [p.text for p in page.select("p.flash")] == ["Added 19.99 for food."]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "0", AMOUNT_ERROR),
        ("amount", "-5", AMOUNT_ERROR),
        ("amount", "19.999", AMOUNT_ERROR),
        ("amount", "1000000.01", AMOUNT_ERROR),
        ("amount", "NaN", AMOUNT_ERROR),
        ("amount", "1e999999", AMOUNT_ERROR),
        ("amount", "twelve", AMOUNT_ERROR),
        ("category", "fun", CATEGORY_ERROR),
        ("spent_on", "01/05/2024", DATE_ERROR),
        ("spent_on", "2024-02-30", DATE_ERROR),
        ("note", "x" * 201, NOTE_ERROR),
        ("note", "a\nb", NOTE_ERROR),
    ],
)
def test_a_bad_expense_is_a_400_that_says_why_and_stores_nothing(
    app: Flask, client: FlaskClient, field: str, value: str, message: str
) -> None:
    page = client.post("/expenses", data={**EXPENSE, field: value})
    assert page.status_code == 400, page.text
    # The form again, with the message and what the user typed, to correct it.
    form = the_form(page.text)
    assert form["errors"] == [message]
    typed = {"note": "", **EXPENSE, field: value}
    if field == "category":
        typed["category"] = None  # no choice is "fun"
    assert form["values"] == typed
    api = client.post("/api/expenses", json={**EXPENSE, field: value})
    assert api.status_code == 400, api.text
    assert body(api) == {"error": "Bad Request", "message": message}
    assert stored(app) == []


def test_a_note_of_200_characters_is_stored(app: Flask, client: FlaskClient) -> None:
    response = client.post("/expenses", data={**EXPENSE, "note": "x" * 200})
    assert response.status_code == 303, response.text
    assert stored(app) == [("19.99", "food", "2024-05-01", "x" * 200)]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([EXPENSE], "Send a JSON object: amount, category, spent_on and note."),
        ({**EXPENSE, "amount": True}, AMOUNT_ERROR),
        ({**EXPENSE, "amount": [1]}, AMOUNT_ERROR),
        ({**EXPENSE, "category": ["food"]}, CATEGORY_ERROR),
        ({**EXPENSE, "spent_on": 20240501}, DATE_ERROR),
        ({**EXPENSE, "note": {"a": 1}}, NOTE_ERROR),
        (  # every problem at once, in the order of the fields
            {"amount": 0, "category": "fun", "spent_on": "2024", "note": "a\nb"},
            f"{AMOUNT_ERROR} {CATEGORY_ERROR} {DATE_ERROR} {NOTE_ERROR}",
        ),
    ],
)
def test_the_api_refuses_json_of_the_wrong_shape_and_says_why(
    app: Flask, client: FlaskClient, payload: Any, message: str
) -> None:
    response = client.post("/api/expenses", json=payload)
    assert response.status_code == 400, response.text
    assert body(response) == {"error": "Bad Request", "message": message}
    assert stored(app) == []


def test_the_ledger_is_bounded(app: Flask, client: FlaskClient) -> None:
    with app.app_context(), get_db() as db:
        db.executemany(
            "INSERT INTO expense (amount, category, spent_on, created_at)"
            " VALUES ('1.00', 'food', '2024-05-01', '2024-05-01T00:00:00+00:00')",
            [()] * 500,
        )
    for response in (
        client.post("/expenses", data=EXPENSE),
        client.post("/api/expenses", json=EXPENSE),
    ):
        assert response.status_code == 400, response.text
        assert "The ledger is full: 500 expenses at most." in response.text
    assert len(stored(app)) == 500


# --- The factory: its instance folder, secret, cookie and database -------------


@pytest.mark.parametrize(
    ("in_config_py", "environ", "secret"),
    [
        ("from config.py", {}, "from config.py"),
        (None, {"FLASK_SECRET_KEY": "from env"}, "from env"),
        (None, {"FLASK_DEBUG": "1"}, "dev"),  # `flask run --debug` needs no secret
    ],
    ids=["instance", "env", "debug"],
)
def test_the_app_runs_from_its_instance_folder_and_the_environment(
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
    app = create_app()
    assert app.secret_key == secret
    # The ledger is kept in the instance folder, beside config.py.
    response = app.test_client().post("/api/expenses", json=EXPENSE)
    assert response.status_code == 201, response.text
    with sqlite3.connect(instance_folder / "ledger.sqlite") as db:
        assert db.execute("SELECT amount FROM expense").fetchall() == [("19.99",)]


def test_testing_runs_with_a_development_secret(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "ledger.sqlite")})
    assert app.secret_key == "dev"


@pytest.mark.parametrize(
    "secret", [None, "12345", '""'], ids=["missing", "a number", "empty"]
)
def test_deployed_without_a_string_secret_the_app_refuses_to_start(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    """`FLASK_SECRET_KEY=12345` is read as JSON: an int, refused like no secret."""
    if secret is not None:
        monkeypatch.setenv("FLASK_SECRET_KEY", secret)
    with pytest.raises(RuntimeError) as refused:
        create_app()
    assert str(refused.value) == (
        "Set a secret key: export FLASK_SECRET_KEY=$(python3 -c "
        "'import secrets; print(secrets.token_hex())'), or run with --debug."
    )


def test_the_session_cookie_is_sent_only_to_the_same_site(client: FlaskClient) -> None:
    """It carries the flashes (and, outside the tests, the CSRF token)."""
    response = client.post("/expenses", data=EXPENSE)
    assert response.status_code == 303, response.text
    [cookie] = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("session=")
    assert "SameSite=Lax" in cookie


def test_a_request_has_one_connection_closed_at_teardown(app: Flask) -> None:
    with app.app_context():
        db = get_db()
        assert get_db() is db
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


# --- CSRF ---------------------------------------------------------------------


def test_the_form_needs_its_csrf_token(config: dict[str, object]) -> None:
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    response = client.post("/expenses", data=EXPENSE)
    assert response.status_code == 400, response.text
    assert "The CSRF token is missing." in response.text
    assert stored(app) == []

    token = csrf_token(client.get("/").text)
    response = client.post("/expenses", data={**EXPENSE, "csrf_token": token})
    assert response.status_code == 303, response.text
    assert stored(app) == [("19.99", "food", "2024-05-01", "")]


def test_the_json_api_needs_no_csrf_token_but_a_cross_site_form_fails(
    config: dict[str, object],
) -> None:
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    response = client.post("/api/expenses", json=EXPENSE)
    assert response.status_code == 201, response.text
    # What another site's <form> can send: no application/json body, ever.
    for enctype in ("application/x-www-form-urlencoded", "text/plain"):
        response = client.post(
            "/api/expenses", data=json.dumps(EXPENSE), content_type=enctype
        )
        assert response.status_code == 400, response.text
        assert "Send a JSON object" in body(response)["message"]
    assert stored(app) == [("19.99", "food", "2024-05-01", "")]


# --- Errors: a page of the app's own, or JSON under /api ------------------------


def assert_error_page(response: TestResponse, status: int, message: str) -> None:
    """The app's error page, with the status and what went wrong."""
    assert response.status_code == status, response.text
    assert response.mimetype == "text/html"
    assert f"<h1>{status} {HTTPStatus(status).phrase}</h1>" in response.text
    assert f"<p>{message}</p>" in response.text
    assert "Back to the ledger" in response.text


def assert_api_error(response: TestResponse, status: int, message: str) -> None:
    """The API's JSON error, with the status and what went wrong."""
    assert response.status_code == status, response.text
    assert response.mimetype == "application/json"
    assert body(response) == {"error": HTTPStatus(status).phrase, "message": message}


@pytest.mark.parametrize("path", ["/api", "/api/nowhere"])
def test_an_unknown_api_path_is_a_json_404(client: FlaskClient, path: str) -> None:
    assert_api_error(client.get(path), 404, NotFound.description)


def test_a_wrong_method_says_which_ones_are_allowed(client: FlaskClient) -> None:
    page = client.delete("/")
    assert_error_page(page, 405, MethodNotAllowed.description)
    assert set(page.allow) == {"GET", "HEAD", "OPTIONS"}
    api = client.delete("/api/expenses")
    assert_api_error(api, 405, MethodNotAllowed.description)
    assert set(api.allow) == {"GET", "HEAD", "OPTIONS", "POST"}


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


def api_body_of(size: int) -> str:
    """An expense as JSON, padded with spaces to `size` bytes."""
    expense = json.dumps(EXPENSE)
    return expense + " " * (size - len(expense))


def test_a_body_of_16_kib_is_read_and_one_byte_more_is_a_413(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/api/expenses", data=api_body_of(16 * 1024), content_type="application/json"
    )
    assert response.status_code == 201, response.text
    response = client.post(
        "/api/expenses",
        data=api_body_of(16 * 1024 + 1),
        content_type="application/json",
    )
    assert_api_error(response, 413, RequestEntityTooLarge.description)
    assert len(stored(app)) == 1


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nvalue",
        b'Content-Disposition: form-data; filename="f.txt"\r\n\r\ndata',
    ],
    ids=["field", "file"],
)
def test_a_multipart_part_with_no_name_is_a_400(
    app: Flask, client: FlaskClient, part: bytes
) -> None:
    """Werkzeug files it under the key None, where the CSRF check would fail."""
    named = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (name.encode(), value.encode())
        for name, value in EXPENSE.items()
    )
    response = client.post(
        "/expenses",
        data=named + b"--B\r\n" + part + b"\r\n--B--\r\n",
        content_type="multipart/form-data; boundary=B",
    )
    assert_error_page(response, 400, "Every part of a multipart form needs a name.")
    assert stored(app) == []


def test_a_multipart_form_with_named_parts_is_stored(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/expenses", data=EXPENSE, content_type="multipart/form-data"
    )
    assert response.status_code == 303, response.text
    assert stored(app) == [("19.99", "food", "2024-05-01", "")]


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
        "/expenses",
        data="amount=19.99",  # the Content-Length of a body to read
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": MalformedBody()},
    )
    assert_error_page(response, 400, BadRequest.description)
    assert stored(app) == []


def test_a_form_is_read_to_its_length_not_into_the_next_request(
    app: Flask, client: FlaskClient
) -> None:
    """On a kept-alive connection the server's stream holds the next request
    too (Werkzeug's development server hands over the socket itself)."""
    form = urlencode(EXPENSE).encode()
    after = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    connection = io.BytesIO(form + after)
    response = client.post(
        "/expenses",
        data=form,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": connection},
    )
    assert response.status_code == 303, response.text
    assert connection.read() == after
    assert stored(app) == [("19.99", "food", "2024-05-01", "")]
