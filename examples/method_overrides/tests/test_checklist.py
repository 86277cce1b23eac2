"""Adding HTTP method overrides: the middleware alone, then the checklist it serves."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any
from typing import TYPE_CHECKING

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import Client

from checklist import create_app
from checklist.db import get_db
from checklist.middleware import MethodOverrideMiddleware
from checklist.middleware import ORIGINAL_METHOD_KEY

if TYPE_CHECKING:
    from wsgiref.types import StartResponse
    from wsgiref.types import WSGIEnvironment

FORM = "application/x-www-form-urlencoded"


def stored(app: Flask) -> list[tuple[int, str, int]]:
    with app.app_context():
        rows = get_db().execute("SELECT id, name, done FROM item ORDER BY id")
        return [tuple(row) for row in rows]


def add_item(app: Flask, name: str, done: int = 0) -> int:
    with app.app_context(), get_db() as db:
        cursor = db.execute("INSERT INTO item (name, done) VALUES (?, ?)", (name, done))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


# --- The middleware, around an app that reports what it received --------------


def echo(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    seen = {
        "method": environ["REQUEST_METHOD"],
        "original": environ.get(ORIGINAL_METHOD_KEY),
        "content_length": environ.get("CONTENT_LENGTH"),
        "content_type": environ.get("CONTENT_TYPE"),
        "body": environ["wsgi.input"].read().decode(),
        "csrf_header": environ.get("HTTP_X_CSRFTOKEN"),
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(seen).encode()]


def seen(method: str = "POST", **kwargs: Any) -> dict[str, Any]:
    """What the wrapped app sees of a request sent through the middleware."""
    client = Client(MethodOverrideMiddleware(echo, max_form_size=1024))
    response = client.open("/", method=method, **kwargs)
    result: dict[str, Any] = json.loads(response.get_data())
    return result


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_a_post_with_the_header_becomes_the_method_it_names(method: str) -> None:
    result = seen(headers={"X-HTTP-Method-Override": method})
    assert result["method"] == method
    assert result["original"] == "POST"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_a_post_with_the_hidden_field_becomes_the_method_it_names(method: str) -> None:
    result = seen(data={"_method": method, "name": "Milk"})
    assert result["method"] == method
    assert result["original"] == "POST"


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"])
def test_only_a_post_is_ever_overridden(method: str) -> None:
    # Above all: a GET (a link, a prefetch, an <img>) can never become a DELETE.
    result = seen(method, headers={"X-HTTP-Method-Override": "DELETE"})
    assert result["method"] == method
    assert result["original"] is None


IGNORED = [
    "TRACE",
    "CONNECT",
    "GET",
    "HEAD",
    "OPTIONS",
    "POST",
    "PROPFIND",
    # Methods are case-sensitive (RFC 9110, 9.1): these are not DELETE.
    "delete",
    "Delete",
    " DELETE",
    "DELETE ",
    "PUT, DELETE",  # two header lines, joined by the server
    "",
]


@pytest.mark.parametrize("value", IGNORED)
def test_methods_not_on_the_allowlist_leave_the_post_alone(value: str) -> None:
    by_header = seen(headers={"X-HTTP-Method-Override": value}, data="x=1")
    by_field = seen(data={"_method": value})
    for result in (by_header, by_field):
        assert result["method"] == "POST"
        assert result["original"] is None


def test_the_header_wins_over_the_hidden_field() -> None:
    result = seen(headers={"X-HTTP-Method-Override": "PATCH"}, data={"_method": "PUT"})
    assert result["method"] == "PATCH"


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param(
            {"data": {"_method": "DELETE", "f": (io.BytesIO(b"x"), "f.txt")}},
            id="multipart",
        ),
        pytest.param({"json": {"_method": "DELETE"}}, id="json"),
        pytest.param({"query_string": {"_method": "DELETE"}}, id="query-string"),
        pytest.param(
            {"data": "_method=DELETE&pad=" + "x" * 1024, "content_type": FORM},
            id="form-over-the-size-limit",
        ),
    ],
)
def test_the_hidden_field_is_read_only_from_a_small_urlencoded_body(
    kwargs: dict[str, Any],
) -> None:
    result = seen(**kwargs)
    assert result["method"] == "POST"


def test_reading_the_hidden_field_leaves_the_body_for_the_app() -> None:
    body = "_method=PUT&name=Oat+milk&note=%C3%A9"
    result = seen(data=body, content_type=FORM)
    assert result["method"] == "PUT"
    assert result["body"] == body
    assert result["content_length"] == str(len(body))


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_put_and_patch_keep_their_body(method: str) -> None:
    result = seen(headers={"X-HTTP-Method-Override": method}, json={"done": 1})
    assert result["body"] == '{"done": 1}'
    assert result["content_type"] == "application/json"


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param(
            {"headers": {"X-HTTP-Method-Override": "DELETE"}, "json": {"a": 1}},
            id="header",
        ),
        pytest.param({"data": {"_method": "DELETE", "a": "1"}}, id="hidden-field"),
    ],
)
def test_a_delete_override_drops_the_body(kwargs: dict[str, Any]) -> None:
    result = seen(**kwargs)
    assert result["method"] == "DELETE"
    assert result["body"] == ""
    assert result["content_length"] == "0"
    assert result["content_type"] is None


def test_a_form_delete_carries_its_csrf_token_on_as_a_header() -> None:
    result = seen(data={"_method": "DELETE", "csrf_token": "t0k3n"})
    assert result["csrf_header"] == "t0k3n"
    # A token the client sent as a header is never replaced by the form's.
    result = seen(
        data={"_method": "DELETE", "csrf_token": "from-form"},
        headers={"X-CSRFToken": "from-header"},
    )
    assert result["csrf_header"] == "from-header"


# --- The checklist ----------------------------------------------------------


def test_adding_an_item_stores_it_and_lists_it(app: Flask, client: FlaskClient) -> None:
    response = client.post("/items", data={"name": "  Milk  "})
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/"
    assert stored(app) == [(1, "Milk", 0)]
    page = client.get("/").text
    assert "Added “Milk”." in page
    assert 'name="_method" value="PATCH"' in page


def test_put_from_the_hidden_field_replaces_the_whole_item(
    app: Flask, client: FlaskClient
) -> None:
    item = add_item(app, "Milk", done=1)
    page = client.get(f"/items/{item}").text
    assert 'name="_method" value="PUT"' in page
    # PUT sends the whole item: the unticked box (no `done` field) means not done.
    response = client.post(
        f"/items/{item}", data={"_method": "PUT", "name": "Oat milk"}
    )
    assert response.status_code == 303, response.text
    assert stored(app) == [(item, "Oat milk", 0)]
    assert "Saved “Oat milk”." in client.get("/").text


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"data": {"_method": "PATCH", "done": "1"}}, id="hidden-field"),
        pytest.param(
            {"data": {"done": "1"}, "headers": {"X-HTTP-Method-Override": "PATCH"}},
            id="header",
        ),
    ],
)
def test_patch_changes_only_the_fields_sent(
    app: Flask, client: FlaskClient, kwargs: dict[str, Any]
) -> None:
    item = add_item(app, "Milk")
    response = client.post(f"/items/{item}", **kwargs)
    assert response.status_code == 303, response.text
    assert stored(app) == [(item, "Milk", 1)]  # the name is kept


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"data": {"_method": "DELETE"}}, id="hidden-field"),
        pytest.param({"headers": {"X-HTTP-Method-Override": "DELETE"}}, id="header"),
    ],
)
def test_delete_removes_the_item(
    app: Flask, client: FlaskClient, kwargs: dict[str, Any]
) -> None:
    keep, drop = add_item(app, "Keep"), add_item(app, "Drop")
    response = client.post(f"/items/{drop}", **kwargs)
    assert response.status_code == 303, response.text
    assert stored(app) == [(keep, "Keep", 0)]
    assert "Deleted “Drop”." in client.get("/").text


def test_a_get_with_the_header_shows_the_item_and_deletes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    item = add_item(app, "Milk")
    response = client.get(
        f"/items/{item}",
        headers={"X-HTTP-Method-Override": "DELETE"},
        query_string={"_method": "DELETE"},
    )
    assert response.status_code == 200, response.text
    assert 'value="Milk"' in response.text
    assert stored(app) == [(item, "Milk", 0)]


@pytest.mark.parametrize(
    "data",
    [{}, {"_method": "delete"}, {"_method": "TRACE"}, {"_method": "GET"}],
    ids=["no-override", "lowercase", "trace", "get"],
)
def test_a_post_that_stays_a_post_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, data: dict[str, str]
) -> None:
    item = add_item(app, "Milk")
    response = client.post(f"/items/{item}", data=data)
    assert response.status_code == 405, response.text
    assert "405 Method Not Allowed" in response.text
    assert stored(app) == [(item, "Milk", 0)]


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("/items", {"name": " "}, "Give the item a name."),
        ("/items", {"name": "x" * 101}, "Keep the name to 100 characters"),
        ("/items", {"name": "a\nb"}, "printable text on one line"),
        ("/items/1", {"_method": "PUT", "name": ""}, "Give the item a name."),
        ("/items/1", {"_method": "PATCH", "done": "yes"}, "done must be 1"),
        ("/items/1", {"_method": "PATCH", "name": "\x00"}, "printable text"),
        ("/items/1", {"_method": "PATCH"}, "Send a name or done to change."),
    ],
)
def test_bad_input_is_a_400_that_says_why_and_stores_nothing(
    app: Flask, client: FlaskClient, path: str, data: dict[str, str], message: str
) -> None:
    add_item(app, "Milk")
    response = client.post(path, data=data)
    assert response.status_code == 400, response.text
    assert message in response.text
    assert stored(app) == [(1, "Milk", 0)]


def test_the_list_is_bounded(app: Flask, client: FlaskClient) -> None:
    for n in range(200):
        add_item(app, f"item {n}")
    response = client.post("/items", data={"name": "one too many"})
    assert response.status_code == 400, response.text
    assert "The list is full: 200 items at most." in response.text
    assert len(stored(app)) == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("item", ["999", str(2**63)])
def test_an_unknown_item_is_a_404_page(
    client: FlaskClient, method: str, item: str
) -> None:
    response = client.open(
        f"/items/{item}", method=method, data={"name": "x", "done": "1"}
    )
    assert response.status_code == 404, response.text
    assert f"There is no item {item}." in response.text


# --- CSRF ---------------------------------------------------------------------


def test_csrf_is_still_required_on_an_overridden_request(
    config: dict[str, object],
) -> None:
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    item = add_item(app, "Milk")

    for kwargs in (
        {"data": {"_method": "DELETE"}},
        {"headers": {"X-HTTP-Method-Override": "DELETE"}},
        {"data": {"_method": "PUT", "name": "Forged"}},
    ):
        response = client.post(f"/items/{item}", **kwargs)
        assert response.status_code == 400, response.text
        assert "The CSRF token is missing." in response.text
    assert stored(app) == [(item, "Milk", 0)]

    # The page's own form: a DELETE with no body, its token carried as a header.
    token = csrf_token(client.get(f"/items/{item}").text)
    response = client.post(
        f"/items/{item}", data={"_method": "DELETE", "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    assert stored(app) == []
