"""Malformed requests, drawn by Hypothesis: what the catalogue's fuzzing sends
to every example, and an example's own tests to its other configurations."""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import quote

from bs4 import BeautifulSoup
from flask import Flask
from hypothesis import strategies as st
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.routing import Rule
from werkzeug.test import Client
from werkzeug.test import TestResponse

PREFIX = "/mounted/here"
NAMELESS_PART = (
    b"--B\r\nContent-Disposition: form-data\r\n\r\nv\r\n"
    b'--B\r\nContent-Disposition: form-data; name=""\r\n\r\nv\r\n--B--\r\n'
)
# Host headers no URL can be built for: empty or over-long labels.
BAD_HOSTS = ["a..b", "x" * 64 + ".example", ".", "x" * 300]


def mounted(app: Flask) -> Client:
    """A client for the app mounted under PREFIX, as the gallery mounts it."""
    return Client(DispatcherMiddleware(NotFound(), {PREFIX: app}))


def is_plain_get(rule: Rule) -> bool:
    return "GET" in (rule.methods or ()) and not rule.arguments


ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
ODD_VALUES = st.sampled_from(
    ["", "0", "-1", "1.5", "99999999999999999999", "..", "%00", "x" * 5000,
     "<script>", "' OR 1=1 --", "\u00e9\u2603", "null", "[]", "{}"]
)  # fmt: skip
TEXT = st.one_of(ODD_VALUES, st.text(max_size=40))
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "multipart/form-data",
     "text/plain", "application/xml", "application/octet-stream", ""]
)  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


def input_names(app: Flask) -> list[str]:
    """The input names the app's own pages use: the likeliest to reach code."""
    client = app.test_client()
    names = {"id", "name", "page", "q"}
    for rule in app.url_map.iter_rules():
        if is_plain_get(rule) and rule.endpoint != "static":
            response = client.get(rule.rule, buffered=True)
            if response.mimetype != "text/html":
                continue
            soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
            for tag in soup.find_all(["input", "textarea", "select"]):
                name = tag.get("name")
                if isinstance(name, str):
                    names.add(name)
    return sorted(names)


@functools.cache
def body_strategies(fields: tuple[str, ...]) -> dict[str, st.SearchStrategy[Any]]:
    """What send() draws from, made once per set of names: Hypothesis checks a
    strategy the first time it draws from it, so strategies made anew for every
    request were checked every time, which doubled the cost of a draw."""
    names = st.sampled_from(fields)
    return {
        "query": st.dictionaries(names | st.text(max_size=10), TEXT, max_size=3),
        "kind": st.sampled_from(["none", "form", "json", "raw", "nameless"]),
        "form": st.dictionaries(names, TEXT, max_size=5),
        "json": JSON | st.dictionaries(names, JSON, max_size=5),
        "raw": st.binary(max_size=200),
        "host": st.sampled_from(BAD_HOSTS),
    }


def send(
    client: Client, method: str, path: str, draw: Any, fields: list[str]
) -> TestResponse:
    drawn = body_strategies(tuple(fields))
    kwargs: dict[str, Any] = {"query_string": draw(drawn["query"])}
    kind = draw(drawn["kind"])
    if kind == "form":
        kwargs["data"] = draw(drawn["form"])
    elif kind == "json":
        kwargs["json"] = draw(drawn["json"])
    elif kind == "raw":
        kwargs["data"] = draw(drawn["raw"])
        kwargs["content_type"] = draw(CONTENT_TYPES)
    elif kind == "nameless":
        kwargs["data"] = NAMELESS_PART
        kwargs["content_type"] = "multipart/form-data; boundary=B"
    if draw(st.booleans()):
        kwargs["headers"] = {"Host": draw(drawn["host"])}
    return client.open(path, method=method, buffered=True, **kwargs)


def send_malformed(
    app: Flask, fields: list[str], draw: Any
) -> tuple[str, str, TestResponse]:
    """One drawn request to one of the app's routes, mounted under PREFIX."""
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
    rule = draw(st.sampled_from(rules))
    methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}) or ["GET"]
    method = draw(st.sampled_from([*methods, "PUT", "DELETE"]))
    path = ARGUMENT.sub(lambda _: quote(draw(TEXT), safe=""), rule.rule)
    return method, path, send(mounted(app), method, PREFIX + path, draw, fields)
