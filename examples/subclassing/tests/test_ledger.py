"""Subclassing Flask: each custom class, side by side with plain Flask, then the
ledger built on them."""

from __future__ import annotations

import json
from datetime import date
from datetime import datetime
from datetime import UTC
from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask import request
from flask.json.provider import DefaultJSONProvider
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
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
    assert created["amount"] == "19.99"
    assert created["spent_on"] == "2024-05-01"
    assert datetime.fromisoformat(created["created_at"]).tzinfo is not None
    assert stored(app) == [("19.99", "food", "2024-05-01", "Lunch in Zürich")]


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


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "0", "The amount must be a number from 0.01 to 1,000,000."),
        ("amount", "-5", "The amount must be a number"),
        ("amount", "19.999", "The amount must be a number"),
        ("amount", "1000000.01", "The amount must be a number"),
        ("amount", "NaN", "The amount must be a number"),
        ("amount", "1e999999", "The amount must be a number"),
        ("amount", "twelve", "The amount must be a number"),
        ("category", "fun", "The category must be one of food, travel, office, other."),
        ("spent_on", "01/05/2024", "The date must be written YYYY-MM-DD."),
        ("spent_on", "2024-02-30", "The date must be written YYYY-MM-DD."),
        ("note", "x" * 201, "The note must be one line of up to 200 characters."),
        ("note", "a\nb", "The note must be one line"),
    ],
)
def test_a_bad_expense_is_a_400_that_says_why_and_stores_nothing(
    app: Flask, client: FlaskClient, field: str, value: str, message: str
) -> None:
    page = client.post("/expenses", data={**EXPENSE, field: value})
    assert page.status_code == 400, page.text
    assert message in page.text
    api = client.post("/api/expenses", json={**EXPENSE, field: value})
    assert api.status_code == 400, api.text
    assert message in body(api)["message"]
    assert stored(app) == []


@pytest.mark.parametrize(
    "payload",
    [
        [EXPENSE],
        {**EXPENSE, "amount": True},
        {**EXPENSE, "amount": [1]},
        {**EXPENSE, "category": ["food"]},
        {**EXPENSE, "spent_on": 20240501},
        {**EXPENSE, "note": {"a": 1}},
    ],
)
def test_the_api_refuses_json_of_the_wrong_shape(
    app: Flask, client: FlaskClient, payload: Any
) -> None:
    response = client.post("/api/expenses", json=payload)
    assert response.status_code == 400, response.text
    assert body(response)["error"] == "Bad Request"
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
