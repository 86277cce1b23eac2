"""What every example must satisfy. A new folder under examples/ is checked here
the moment it exists: no list to update."""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.routing import Rule
from werkzeug.test import Client
from werkzeug.test import TestResponse

from cookbook import catalogue

EXAMPLES = catalogue.discover()
FOLDERS = [example.folder for example in EXAMPLES]
README = (catalogue.ROOT / "README.md").read_text(encoding="utf-8")
PREFIX = "/mounted/here"
# What the catalogue checks configure: testing mode, a secret, and CSRF off so
# that malformed bodies reach the views instead of stopping at the token check
# (each example's own tests check CSRF).
CONFIG = {"TESTING": True, "SECRET_KEY": "catalogue", "WTF_CSRF_ENABLED": False}

by_folder = pytest.mark.parametrize("example", EXAMPLES, ids=FOLDERS)


def test_every_pattern_folder_is_an_example() -> None:
    """examples/ holds the patterns and nothing else."""
    strays = [
        path.name
        for path in catalogue.EXAMPLES.iterdir()
        if path.name not in {"__init__.py", "__pycache__"} and path.name not in FOLDERS
    ]
    assert strays == []


def test_the_readme_index_links_only_to_existing_examples() -> None:
    linked = set(re.findall(r"\(examples/(\w+)/?\)", README))
    assert linked <= set(FOLDERS)


@by_folder
def test_example_is_listed_in_the_readme_index(example: catalogue.Example) -> None:
    rows = [line for line in README.splitlines() if line.startswith("|")]
    row = next((r for r in rows if f"(examples/{example.folder}/)" in r), None)
    assert row is not None, f"README.md index has no row for examples/{example.folder}"
    assert example.title in row


@by_folder
def test_example_readme_has_the_sections_in_order(example: catalogue.Example) -> None:
    assert example.readme, "no README.md"
    assert example.title != example.folder, "the README has no '# Title' line"
    assert example.summary, "the README has no summary paragraph after its title"
    assert len(example.summary) <= 200, "the summary is for one line of the index"
    assert example.docs_url, "the README does not link its Flask docs page"
    present = [s for s in example.sections if s in catalogue.README_SECTIONS]
    assert present == list(catalogue.README_SECTIONS)


@pytest.fixture
def example_app(request: pytest.FixtureRequest, redis_url: str) -> Iterator[Flask]:
    """The example's app, with the services examples expect (REDIS_URL) at hand."""
    example: catalogue.Example = request.param
    yield catalogue.load_app(example.module, CONFIG)


app_by_folder = pytest.mark.parametrize(
    "example_app", EXAMPLES, ids=FOLDERS, indirect=True
)


@app_by_folder
def test_example_app_builds(example_app: Flask) -> None:
    assert isinstance(example_app, Flask)
    assert example_app.url_map.iter_rules()


def mounted(app: Flask) -> Client:
    """A client for the app mounted under PREFIX, as the gallery mounts it."""
    return Client(DispatcherMiddleware(NotFound(), {PREFIX: app}))


def is_plain_get(rule: Rule) -> bool:
    return "GET" in (rule.methods or ()) and not rule.arguments


def local_urls(html: str) -> list[str]:
    """Every link, asset and form target in the page that points into the site."""
    soup = BeautifulSoup(html, "html.parser")
    urls = []
    for tag in soup.find_all(["a", "link", "script", "img", "form", "source"]):
        for attribute in ("href", "src", "action"):
            value = tag.get(attribute)
            if isinstance(value, str) and value and not urlsplit(value).netloc:
                urls.append(value)
    return [url for url in urls if not url.startswith(("#", "mailto:", "data:"))]


@app_by_folder
def test_pages_and_their_links_work_under_a_prefix(example_app: Flask) -> None:
    client = mounted(example_app)
    rules = [rule for rule in example_app.url_map.iter_rules() if is_plain_get(rule)]
    assert rules, "the example has no GET route without arguments"
    for rule in rules:
        response = client.get(PREFIX + rule.rule)
        assert response.status_code < 500, rule.rule
        if response.mimetype != "text/html":
            continue
        for url in local_urls(response.get_data(as_text=True)):
            assert url.startswith(PREFIX + "/"), f"{rule.rule} links to {url}"
            if "/static/" in url:
                asset = client.get(url)
                assert asset.status_code == 200, f"{rule.rule}: {url} is missing"
                asset.close()


# -- Malformed requests --------------------------------------------------------

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


@pytest.fixture
def fields(example_app: Flask) -> list[str]:
    """The input names the example's own pages use: the likeliest to reach code."""
    app = example_app
    client = app.test_client()
    names = {"id", "name", "page", "q"}
    for rule in app.url_map.iter_rules():
        if is_plain_get(rule) and rule.endpoint != "static":
            html = client.get(rule.rule).get_data(as_text=True)
            soup = BeautifulSoup(html, "html.parser")
            for tag in soup.find_all(["input", "textarea", "select"]):
                name = tag.get("name")
                if isinstance(name, str):
                    names.add(name)
    return sorted(names)


def send(
    client: Client, method: str, path: str, draw: Any, fields: list[str]
) -> TestResponse:
    query = draw(
        st.dictionaries(
            st.sampled_from(fields) | st.text(max_size=10), TEXT, max_size=3
        )
    )
    kind = draw(st.sampled_from(["none", "form", "json", "raw"]))
    kwargs: dict[str, Any] = {"query_string": query}
    if kind == "form":
        kwargs["data"] = draw(
            st.dictionaries(st.sampled_from(fields), TEXT, max_size=5)
        )
    elif kind == "json":
        kwargs["json"] = draw(
            JSON | st.dictionaries(st.sampled_from(fields), JSON, max_size=5)
        )
    elif kind == "raw":
        kwargs["data"] = draw(st.binary(max_size=200))
        kwargs["content_type"] = draw(CONTENT_TYPES)
    return client.open(path, method=method, **kwargs)


@app_by_folder
@settings(
    # The app is built once per example and reused across draws, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_routes_survive_malformed_requests(
    example_app: Flask, fields: list[str], data: st.DataObject
) -> None:
    """Odd path values, query strings, bodies and content types: never a 500."""
    rules = sorted(example_app.url_map.iter_rules(), key=lambda rule: rule.rule)
    rule = data.draw(st.sampled_from(rules))
    methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}) or ["GET"]
    method = data.draw(st.sampled_from([*methods, "PUT", "DELETE"]))
    path = ARGUMENT.sub(lambda _: quote(data.draw(TEXT), safe=""), rule.rule)
    response = send(mounted(example_app), method, PREFIX + path, data.draw, fields)
    assert response.status_code < 500, (
        method,
        path,
        response.get_data(as_text=True)[:500],
    )


# -- Copied alone --------------------------------------------------------------


@pytest.fixture
def copied(tmp_path: Path) -> Iterator[Path]:
    """A directory on sys.path to copy examples into; imports undone afterwards."""
    target = tmp_path / "project"
    target.mkdir()
    sys.path.insert(0, str(target))
    modules = set(sys.modules)
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        for name in set(sys.modules) - modules:
            if name.startswith("copied_"):
                del sys.modules[name]


@by_folder
def test_example_works_copied_alone_under_another_name(
    example: catalogue.Example, copied: Path, redis_url: str
) -> None:
    package = f"copied_{example.folder}"
    shutil.copytree(
        example.path, copied / package, ignore=shutil.ignore_patterns("__pycache__")
    )
    importlib.invalidate_caches()
    app = catalogue.load_app(package, CONFIG)
    assert app.import_name.startswith(package)
    response = app.test_client().get("/")
    assert response.status_code == 200
