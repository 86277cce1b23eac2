"""Adding HTTP method overrides: the middleware alone, then the checklist it serves."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from http import HTTPStatus
from pathlib import Path
from typing import Any
from typing import TYPE_CHECKING

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.test import Client
from werkzeug.test import EnvironBuilder
from werkzeug.test import run_wsgi_app
from werkzeug.test import TestResponse

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
        "body": environ["wsgi.input"].read().decode("latin-1"),  # any bytes
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
            {"data": {"_method": "DELETE"}, "content_type": "multipart/form-data"},
            id="multipart",
        ),
        pytest.param({"json": {"_method": "DELETE"}}, id="json"),
        pytest.param(
            {"data": "_method=DELETE", "content_type": "text/plain"}, id="text"
        ),
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


@pytest.mark.parametrize(
    "content_type",
    [FORM, f"{FORM}; charset=UTF-8", "Application/X-WWW-Form-URLEncoded"],
)
def test_reading_the_hidden_field_leaves_the_body_for_the_app(
    content_type: str,
) -> None:
    body = "_method=PUT&name=Oat+milk&note=%C3%A9"
    result = seen(data=body, content_type=content_type)
    assert result["method"] == "PUT"
    assert result["body"] == body
    assert result["content_length"] == str(len(body))


def test_a_form_that_is_not_utf_8_is_still_read() -> None:
    body = b"_method=PUT&name=Caf\xe9"  # Latin-1, from an old client
    result = seen(data=body, content_type=FORM)
    assert result["method"] == "PUT"
    assert result["body"] == body.decode("latin-1")


@pytest.mark.parametrize("length", ["1_4", "+14", " 14", "-1", "\N{SUPERSCRIPT TWO}"])
def test_a_malformed_content_length_leaves_the_post_alone(length: str) -> None:
    result = seen(
        data="_method=DELETE",
        content_type=FORM,
        environ_overrides={"CONTENT_LENGTH": length},
    )
    assert result["method"] == "POST"
    assert result["body"] == "_method=DELETE"


def test_a_chunked_form_is_not_read() -> None:
    """A body with no Content-Length has no size to check: send the header."""
    environ = EnvironBuilder(
        method="POST", data="_method=DELETE", content_type=FORM
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True  # as a server sets it for chunks
    app_iter, status, _ = run_wsgi_app(MethodOverrideMiddleware(echo), environ)
    assert status == "200 OK"
    result = json.loads(b"".join(app_iter))
    assert result["method"] == "POST"
    assert result["body"] == "_method=DELETE"


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


def assert_error_page(response: TestResponse, status: int, message: str) -> None:
    """The checklist's own error page, with the status and what went wrong."""
    assert response.status_code == status, response.text
    assert f"<h1>{status} {HTTPStatus(status).phrase}</h1>" in response.text
    assert f"<p>{message}</p>" in response.text
    assert "Back to the checklist" in response.text


def test_adding_an_item_stores_it_and_lists_it(app: Flask, client: FlaskClient) -> None:
    response = client.post("/items", data={"name": "  Milk  "})
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/"
    assert stored(app) == [(1, "Milk", 0)]
    page = client.get("/").text
    assert "Added “Milk”." in page
    assert 'name="_method" value="PATCH"' in page


def test_a_name_of_exactly_100_characters_is_kept(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/items", data={"name": "x" * 100})
    assert response.status_code == 303, response.text
    assert stored(app) == [(1, "x" * 100, 0)]


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
    # The ticked box sends `done`.
    response = client.post(
        f"/items/{item}", data={"_method": "PUT", "name": "Milk", "done": "1"}
    )
    assert response.status_code == 303, response.text
    assert stored(app) == [(item, "Milk", 1)]


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
    assert "Updated “Milk”: done." in client.get("/").text


def test_patch_renames_an_item_and_keeps_it_done(
    app: Flask, client: FlaskClient
) -> None:
    item = add_item(app, "Milk", done=1)
    response = client.post(
        f"/items/{item}", data={"_method": "PATCH", "name": "Oat milk"}
    )
    assert response.status_code == 303, response.text
    assert stored(app) == [(item, "Oat milk", 1)]
    assert "Updated “Oat milk”: done." in client.get("/").text


def test_patch_unticks_an_item_that_is_done(app: Flask, client: FlaskClient) -> None:
    item = add_item(app, "Milk", done=1)
    response = client.post(f"/items/{item}", data={"_method": "PATCH", "done": "0"})
    assert response.status_code == 303, response.text
    assert stored(app) == [(item, "Milk", 0)]
    assert "Updated “Milk”: not done." in client.get("/").text


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
    assert_error_page(response, 405, MethodNotAllowed.description)
    # The answer says what the URL takes.
    assert set(response.allow) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"}
    assert stored(app) == [(item, "Milk", 0)]


# --- Bad input: the page it came from, or the checklist's error page ----------

NAME_ERRORS = [
    (" ", "Give the item a name."),
    ("x" * 101, "Keep the name to 100 characters (this one has 101)."),
    ("a\nb", "The name must be printable text on one line."),
    ("a\x00b", "The name must be printable text on one line."),
]
NAME_ERROR_IDS = ["blank", "too-long", "two-lines", "nul"]


@pytest.mark.parametrize(("name", "message"), NAME_ERRORS, ids=NAME_ERROR_IDS)
def test_adding_a_bad_name_shows_the_list_again_with_the_name_and_why(
    app: Flask, client: FlaskClient, name: str, message: str
) -> None:
    add_item(app, "Milk")
    response = client.post("/items", data={"name": name})
    assert response.status_code == 400, response.text
    assert f'<p class="error">{message}</p>' in response.text
    assert f'value="{name.strip()}"' in response.text  # typed, to correct
    assert "<td>Milk</td>" in response.text  # the list is still shown
    assert stored(app) == [(1, "Milk", 0)]


@pytest.mark.parametrize(("name", "message"), NAME_ERRORS, ids=NAME_ERROR_IDS)
def test_saving_a_bad_name_shows_the_item_again_with_the_name_and_why(
    app: Flask, client: FlaskClient, name: str, message: str
) -> None:
    item = add_item(app, "Milk")
    response = client.post(f"/items/{item}", data={"_method": "PUT", "name": name})
    assert response.status_code == 400, response.text
    assert "<h1>Edit item</h1>" in response.text
    assert f'<p class="error">{message}</p>' in response.text
    assert f'value="{name.strip()}"' in response.text
    assert stored(app) == [(item, "Milk", 0)]


@pytest.mark.parametrize(
    ("path", "data"), [("/items", {}), ("/items/1", {"_method": "PUT", "done": "1"})]
)
def test_a_form_with_no_name_field_is_a_400_that_asks_for_a_name(
    app: Flask, client: FlaskClient, path: str, data: dict[str, str]
) -> None:
    add_item(app, "Milk")
    response = client.post(path, data=data)
    assert response.status_code == 400, response.text
    assert '<p class="error">Give the item a name.</p>' in response.text
    assert stored(app) == [(1, "Milk", 0)]


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/", {}),
        ("POST", "/items", {"name": " "}),
        ("GET", "/items/1", {}),
        ("POST", "/items/1", {"_method": "PUT", "name": " "}),
    ],
    ids=["list", "list-again", "item", "item-again"],
)
def test_the_name_field_says_the_100_character_limit(
    app: Flask, client: FlaskClient, method: str, path: str, data: dict[str, str]
) -> None:
    add_item(app, "Milk")
    page = BeautifulSoup(
        client.open(path, method=method, data=data).text, "html.parser"
    )
    field = page.select_one("input#name")
    assert field is not None, "the page has no name field"
    assert field["maxlength"] == "100"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"done": "yes"}, "done must be 1 (done) or 0 (not done)."),
        ({"name": " "}, "Give the item a name."),
        ({"name": "a\x00b"}, "The name must be printable text on one line."),
        ({}, "Send a name or done to change."),
    ],
    ids=["done", "blank-name", "nul-name", "nothing"],
)
def test_a_bad_patch_is_a_400_page_that_says_why(
    app: Flask, client: FlaskClient, data: dict[str, str], message: str
) -> None:
    item = add_item(app, "Milk")
    response = client.post(f"/items/{item}", data={"_method": "PATCH", **data})
    assert_error_page(response, 400, message)
    assert stored(app) == [(item, "Milk", 0)]


def test_the_list_takes_200_items_and_refuses_the_201st(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context(), get_db() as db:
        db.executemany(
            "INSERT INTO item (name) VALUES (?)", [(f"item {n}",) for n in range(199)]
        )
    response = client.post("/items", data={"name": "the 200th"})
    assert response.status_code == 303, response.text
    response = client.post("/items", data={"name": "one too many"})
    assert_error_page(response, 400, "The list is full: 200 items at most.")
    assert len(stored(app)) == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("item", ["999", str(2**63)])
def test_an_unknown_item_is_a_404_page(
    client: FlaskClient, method: str, item: str
) -> None:
    response = client.open(
        f"/items/{item}", method=method, data={"name": "x", "done": "1"}
    )
    assert_error_page(
        response, 404, f"There is no item {item}. It may have been deleted."
    )


def test_the_largest_id_sqlite_stores_is_an_item_too(
    app: Flask, client: FlaskClient
) -> None:
    item = 2**63 - 1
    with app.app_context(), get_db() as db:
        db.execute("INSERT INTO item (id, name) VALUES (?, 'Milk')", (item,))
    response = client.get(f"/items/{item}")
    assert response.status_code == 200, response.text
    assert 'value="Milk"' in response.text


def padded_form(fields: str, size: int) -> str:
    """A urlencoded form of exactly `size` bytes."""
    body = f"{fields}&pad="
    return body + "x" * (size - len(body))


def test_a_form_of_exactly_4_kib_is_read(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/items", data=padded_form("name=Milk", 4 * 1024), content_type=FORM
    )
    assert response.status_code == 303, response.text
    assert stored(app) == [(1, "Milk", 0)]


def test_a_form_one_byte_over_4_kib_is_a_413_page(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/items", data=padded_form("name=Milk", 4 * 1024 + 1), content_type=FORM
    )
    assert_error_page(response, 413, RequestEntityTooLarge.description)
    assert stored(app) == []


def test_an_override_form_of_exactly_4_kib_is_read(
    app: Flask, client: FlaskClient
) -> None:
    item = add_item(app, "Milk")
    response = client.post(
        f"/items/{item}",
        data=padded_form("_method=DELETE", 4 * 1024),
        content_type=FORM,
    )
    assert response.status_code == 303, response.text
    assert stored(app) == []


def test_an_override_form_one_byte_over_4_kib_stays_a_post(
    app: Flask, client: FlaskClient
) -> None:
    """Too big to be read for its hidden field: refused as the POST it is."""
    item = add_item(app, "Milk")
    response = client.post(
        f"/items/{item}",
        data=padded_form("_method=DELETE", 4 * 1024 + 1),
        content_type=FORM,
    )
    assert_error_page(response, 405, MethodNotAllowed.description)
    assert stored(app) == [(item, "Milk", 0)]


class ServerError(Exception):
    """What gunicorn raises from inside a read of a malformed chunked body."""


class MalformedBody:
    """The server's input stream on a malformed chunked body."""

    def read(self, size: int = -1) -> bytes:
        raise ServerError("Invalid chunk size")


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        pytest.param("/items", {}, id="read-by-the-middleware"),
        pytest.param(
            "/items/1", {"headers": {"X-HTTP-Method-Override": "PUT"}}, id="by-flask"
        ),
    ],
)
def test_a_body_the_server_fails_to_read_is_a_400_page(
    app: Flask, client: FlaskClient, path: str, kwargs: dict[str, Any]
) -> None:
    add_item(app, "Milk")
    response = client.post(
        path,
        data="name=Oat+milk",  # the Content-Length of a body to read
        content_type=FORM,
        environ_overrides={"wsgi.input": MalformedBody()},
        **kwargs,
    )
    assert_error_page(response, 400, BadRequest.description)
    assert stored(app) == [(1, "Milk", 0)]


def test_a_form_is_read_to_its_length_not_into_the_next_request(
    app: Flask, client: FlaskClient
) -> None:
    """On a kept-alive connection the server's stream holds the next request
    too (Werkzeug's development server hands over the socket itself)."""
    item = add_item(app, "Milk")
    body = b"_method=PATCH&done=1"
    after = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    connection = io.BytesIO(body + after)
    response = client.post(
        f"/items/{item}",
        data=body,
        content_type=FORM,
        environ_overrides={"wsgi.input": connection},
    )
    assert response.status_code == 303, response.text
    assert stored(app) == [(item, "Milk", 1)]
    assert connection.read() == after


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nvalue",
        b'Content-Disposition: form-data; filename="f.txt"\r\n\r\ndata',
    ],
    ids=["field", "file"],
)
def test_a_multipart_part_with_no_name_is_a_400_page(
    csrf_app: Flask, part: bytes
) -> None:
    """Werkzeug files it under the key None, where the CSRF check would fail."""
    response = csrf_app.test_client().post(
        "/items",
        data=b"--B\r\n" + part + b"\r\n--B--\r\n",
        content_type="multipart/form-data; boundary=B",
    )
    assert_error_page(response, 400, "Every part of a multipart form needs a name.")
    assert stored(csrf_app) == []


def test_a_multipart_form_is_read_like_any_other(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    token = csrf_token(client.get("/").text)
    response = client.post(
        "/items",
        data={"csrf_token": token, "name": "Milk"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.text
    assert stored(csrf_app) == [(1, "Milk", 0)]


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


def test_csrf_is_still_required_on_an_overridden_request(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    item = add_item(csrf_app, "Milk")

    for kwargs in (
        {"data": {"_method": "DELETE"}},
        {"headers": {"X-HTTP-Method-Override": "DELETE"}},
        {"data": {"_method": "PUT", "name": "Forged"}},
    ):
        response = client.post(f"/items/{item}", **kwargs)
        assert_error_page(response, 400, "The CSRF token is missing.")
    assert stored(csrf_app) == [(item, "Milk", 0)]

    # The page's own form: a DELETE with no body, its token carried as a header.
    token = csrf_token(client.get(f"/items/{item}").text)
    response = client.post(
        f"/items/{item}", data={"_method": "DELETE", "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    assert stored(csrf_app) == []


def test_the_session_cookie_is_sent_only_to_the_same_site(client: FlaskClient) -> None:
    """It carries the CSRF token and the flashed messages."""
    response = client.post("/items", data={"name": "Milk"})
    [cookie] = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("session=")
    assert "SameSite=Lax" in cookie


# --- The factory: its secret, its instance folder and its database -------------


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
        instance_folder.mkdir()
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


def test_the_database_defaults_to_the_instance_folder(
    instance_folder: Path, config: dict[str, object]
) -> None:
    del config["DATABASE"]
    app = create_app(config)
    response = app.test_client().post("/items", data={"name": "Milk"})
    assert response.status_code == 303, response.text
    assert app.instance_path == str(instance_folder)
    with closing(sqlite3.connect(instance_folder / "checklist.sqlite")) as db:
        assert db.execute("SELECT name FROM item").fetchall() == [("Milk",)]


def test_a_request_uses_one_connection_and_closes_it(app: Flask) -> None:
    with app.app_context():
        db = get_db()
        assert get_db() is db
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        db.execute("SELECT 1")


def test_a_write_waits_up_to_10_seconds_for_another_writers_lock(app: Flask) -> None:
    """Where several workers write at once, a busy database is waited for."""
    with app.app_context():
        [(milliseconds,)] = get_db().execute("PRAGMA busy_timeout").fetchall()
    assert milliseconds == 10_000
