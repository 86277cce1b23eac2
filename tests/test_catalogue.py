"""What every example must satisfy. A new folder under examples/ is checked here
the moment it exists: no list to update."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import flask
import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from gunicorn.http.body import Body
from gunicorn.http.body import ChunkedReader
from gunicorn.http.unreader import IterUnreader
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from werkzeug.test import TestResponse

from cookbook import catalogue
from tests.fuzzing import ARGUMENT
from tests.fuzzing import BAD_HOSTS
from tests.fuzzing import input_names
from tests.fuzzing import is_plain_get
from tests.fuzzing import mounted
from tests.fuzzing import NAMELESS_PART
from tests.fuzzing import PREFIX
from tests.fuzzing import send_malformed
from tests.preloaded import PreloadedPython

EXAMPLES = catalogue.discover()
FOLDERS = [example.folder for example in EXAMPLES]
README = catalogue.README.read_text(encoding="utf-8")
# What most checks configure: testing mode, a secret, CSRF off so that
# malformed bodies reach the views instead of stopping at the token check
# (each example's own tests check CSRF), and no pause between the events that
# streaming sends (its own tests check the pace; here it only costs time).
CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "catalogue",
    "WTF_CSRF_ENABLED": False,
    "TIMELINE_DELAY": 0,
}
# The checks of what the framework sees before any view keep CSRF on, as deployed.
DEPLOYED = {"TESTING": True, "SECRET_KEY": "catalogue"}
REFERENCE_STYLESHEET = (
    catalogue.EXAMPLES / "sqlite3" / "notes" / "static" / "style.css"
).read_bytes()
by_folder = pytest.mark.parametrize("example", EXAMPLES, ids=FOLDERS)


def over(examples: list[catalogue.Example]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        "example", examples, ids=[e.folder for e in examples]
    )


def having(capability: str) -> pytest.MarkDecorator:
    """Parametrize over the examples that declare `capability` (see CAPABILITIES)."""
    return over([example for example in EXAMPLES if example.has(capability)])


def lacking(capability: str) -> pytest.MarkDecorator:
    """Parametrize over the examples that do not declare `capability`."""
    return over([example for example in EXAMPLES if not example.has(capability)])


# -- The folder ------------------------------------------------------------------


def test_examples_holds_the_patterns_and_nothing_else() -> None:
    strays = [
        path.name
        for path in catalogue.EXAMPLES.iterdir()
        if path.name not in {"__init__.py", "__pycache__"}
        and path.name not in catalogue.PATTERNS
    ]
    assert strays == []


def test_package_names_are_unique() -> None:
    packages = [example.package for example in EXAMPLES]
    assert len(packages) == len(set(packages)), packages


@by_folder
def test_the_folder_is_a_project_the_workspace_installs(
    example: catalogue.Example,
) -> None:
    """A pyproject.toml named for the package, with a `test` extra; its own
    tests beside the package; installed into .venv/ by the root workspace."""
    assert example.is_project, "no tests/conftest.py beside the package"
    project = example.pyproject["project"]
    assert normalize(project["name"]) == normalize(example.package), project["name"]
    assert "test" in project.get("optional-dependencies", {})
    assert list((example.path / "tests").glob("test_*.py"))
    assert not (example.path / "tests" / "__init__.py").exists()
    if example.folder in catalogue.UNINSTALLED:
        with pytest.raises(importlib.metadata.PackageNotFoundError):
            importlib.metadata.distribution(project["name"])
    else:
        installed = importlib.metadata.distribution(project["name"])
        assert installed.read_text("direct_url.json"), "not installed from its folder"


@by_folder
def test_the_package_hides_no_other_module(example: catalogue.Example) -> None:
    """Copied into a project, the package must not shadow the stdlib or a library."""
    name = example.package
    assert name != example.folder
    assert name not in sys.stdlib_module_names
    # Not even the example's own install may list it among the installed
    # libraries' modules (flit's editable installs do not; see UNINSTALLED).
    assert name not in installed_modules()


@by_folder
def test_data_written_in_the_folder_is_ignored(example: catalogue.Example) -> None:
    gitignore = (example.path / ".gitignore").read_text(encoding="utf-8")
    assert "/instance/" in gitignore.splitlines()


@by_folder
def test_the_folder_holds_no_symlink(example: catalogue.Example) -> None:
    """The gallery and the static routes serve files: none may point elsewhere."""
    links = [str(p) for p in example.path.rglob("*") if p.is_symlink()]
    assert links == []


@by_folder
def test_every_redirect_names_its_status_code(example: catalogue.Example) -> None:
    """Flask 3.2 changes redirect()'s default from 302 to 303: an example picks
    the code its behaviour needs, so the answer does not change on upgrade."""
    bare = []
    for path in example.path.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (getattr(node.func, "id", None) or node.func.attr) == "redirect"
                and len(node.args) < 2
                and not any(k.arg == "code" for k in node.keywords)
            ):
                bare.append(f"{path.relative_to(example.path)}:{node.lineno}")
    assert bare == []


@by_folder
def test_every_page_uses_the_cookbooks_stylesheet(example: catalogue.Example) -> None:
    package = example.path / example.package
    templates = list(package.rglob("templates/**/*.html"))
    stylesheets = list(package.rglob("static/style.css"))
    assert bool(templates) == bool(stylesheets), "pages without the stylesheet"
    for stylesheet in stylesheets:
        assert stylesheet.read_bytes() == REFERENCE_STYLESHEET, stylesheet


def test_services_are_declared_for_known_examples_and_services() -> None:
    declared = catalogue.SERVICES["examples"]
    assert set(declared) <= set(catalogue.PATTERNS)
    known = set(catalogue.SERVICES["services"])
    assert {s for needs in declared.values() for s in needs} <= known


@by_folder
def test_an_example_with_a_worker_declares_it(example: catalogue.Example) -> None:
    has_worker = (example.path / "make_celery.py").exists()
    assert has_worker == ("celery-worker" in example.services)
    if has_worker:
        assert "redis" in example.services


# -- The README ------------------------------------------------------------------


def test_the_readme_index_is_in_the_docs_order() -> None:
    listed = catalogue.index_order()
    assert set(listed) == set(FOLDERS), "the index and examples/ differ"
    assert listed == [f for f in catalogue.PATTERNS if f in listed]


@by_folder
def test_example_is_listed_in_the_readme_index(example: catalogue.Example) -> None:
    rows = [line for line in README.splitlines() if line.startswith("|")]
    row = next((r for r in rows if f"(examples/{example.folder}/)" in r), None)
    assert row is not None, f"README.md index has no row for examples/{example.folder}"
    assert example.title in row
    assert example.docs_url is not None and example.docs_url in row


@by_folder
def test_example_readme_has_the_sections_in_order(example: catalogue.Example) -> None:
    assert example.readme, "no README.md"
    assert example.title != example.folder, "the README has no '# Title' line"
    assert example.summary, "the README has no summary paragraph after its title"
    assert len(example.summary) <= 200, "the summary is for one line of the index"
    paragraphs = [p.strip() for p in example.readme.split("\n\n")]
    assert catalogue.DOCS_LINK.fullmatch(paragraphs[2]), (
        "the third paragraph must be the docs link: " + paragraphs[2]
    )
    assert example.docs_slug in catalogue.DOCS_PAGE_WORDS
    present = [s for s in example.sections if s in catalogue.README_SECTIONS]
    assert present == list(catalogue.README_SECTIONS)


@by_folder
def test_example_readme_is_no_longer_than_its_docs_page(
    example: catalogue.Example,
) -> None:
    """In prose: the code it shows is the recipe itself."""
    words, limit = example.prose_words, example.word_limit
    assert words <= limit, f"{words} words, at most {limit}"


@by_folder
def test_the_readme_shows_the_patterns_code_as_it_is_in_the_file(
    example: catalogue.Example,
) -> None:
    """ "Where the pattern is" opens on the heart of the pattern, verbatim: a
    block that no longer matches its file fails here instead of drifting."""
    blocks = example.pattern_blocks
    assert blocks, 'no ```python title="<file>" block in "Where the pattern is"'
    shown = 0
    for _language, file, code in blocks:
        assert (example.path / file).is_file(), f"{file} is not in the folder"
        assert catalogue.find_lines(example.path / file, code), (
            f"the block titled {file} is not a run of that file's lines"
        )
        shown += len(code.splitlines())
    assert shown <= catalogue.PATTERN_LINES, f"{shown} lines of code shown"


def console_commands(text: str) -> list[str]:
    """The `$ ...` lines of a README section's console blocks."""
    return [
        line[2:].strip()
        for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL)
        for line in block.splitlines()
        if line.startswith("$ ")
    ]


@by_folder
def test_readme_commands_start_where_a_fresh_clone_is(
    example: catalogue.Example,
) -> None:
    run = console_commands(example.section("Run it"))
    assert run[:2] == ["source .venv/bin/activate", f"cd examples/{example.folder}"]
    copy = console_commands(example.section("Copy it into your project"))
    test = console_commands(example.section("Test it"))
    # Both ways to copy: a new project from the whole folder (installed with
    # its test extra, then tested), or the package and its tests lifted into
    # a project of yours.
    folder = f"examples/{example.folder}"
    assert any(c.startswith(f"cp -r {folder} ") for c in copy), copy
    assert "pip install -e '.[test]'" in copy
    assert "pytest" in copy
    assert any(c.startswith(f"cp -r {folder}/{example.package} ") for c in copy)
    assert any(f"{folder}/tests/" in c for c in copy), copy
    assert f".venv/bin/pytest {folder}" in test


@by_folder
def test_the_readmes_flask_app_option_works_from_the_folder(
    example: catalogue.Example, tmp_path: Path, preloaded: PreloadedPython
) -> None:
    """Each `flask --app X` of "Run it", run as typed in (a copy of) the folder."""
    apps = re.findall(r"flask --app ('[^']+'|\S+)", example.section("Run it"))
    assert apps, "Run it shows no `flask --app ...` command"
    folder = tmp_path / example.folder  # the app may write instance/ there
    shutil.copytree(example.path, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for app in dict.fromkeys(apps):
        result = preloaded.flask(
            "--app", app.strip("'"), "routes",
            cwd=folder, env={**clean_env(), "FLASK_DEBUG": "1"}, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr


@functools.cache
def installed_modules() -> Mapping[str, list[str]]:
    """Which installed distributions provide each top-level module (read once:
    it scans every installed distribution's file list)."""
    return importlib.metadata.packages_distributions()


def imported_distributions(package: Path) -> set[str]:
    """The distributions whose modules the package's code imports."""
    modules = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    owners = installed_modules()
    return {
        normalize(dist)
        for module in modules - set(sys.stdlib_module_names)
        for dist in owners.get(module, [module])[:1]
    }


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_with(requirement: str) -> set[str]:
    """The distributions `pip install <requirement>` brings: it and what it needs."""
    found: set[str] = set()
    todo = [Requirement(requirement)]
    while todo:
        wanted = todo.pop()
        name = normalize(wanted.name)
        if name in found:
            continue
        found.add(name)
        for text in importlib.metadata.requires(name) or []:
            needed = Requirement(text)
            applies = needed.marker is None or any(
                needed.marker.evaluate({"extra": extra})
                for extra in wanted.extras or {""}
            )
            if applies:
                todo.append(needed)
    return found


def declared(example: catalogue.Example, *extras: str) -> set[str]:
    """The distributions the example's pyproject.toml brings: its dependencies,
    with the optional ones of `extras`, and all that they need in turn."""
    project = example.pyproject["project"]
    wanted = list(project.get("dependencies", []))
    for extra in extras:
        wanted += project.get("optional-dependencies", {}).get(extra, [])
    brought: set[str] = set()
    for requirement in wanted:
        brought |= installed_with(requirement)
    return brought


@by_folder
def test_the_pyproject_names_every_import(example: catalogue.Example) -> None:
    """`dependencies` bring what the package imports; with the `test` extra they
    bring what its tests import (besides the package and pytest's conftest)."""
    package = imported_distributions(example.path / example.package)
    missing = package - declared(example)
    assert not missing, f"dependencies leave out {sorted(missing)}"
    tests = imported_distributions(example.path / "tests") - {
        normalize(example.pyproject["project"]["name"]),
        example.package,
        "conftest",
    }
    missing = tests - declared(example, "test")
    assert not missing, f"dependencies and the test extra leave out {sorted(missing)}"


# -- The app ---------------------------------------------------------------------


def build(example: catalogue.Example, config: dict[str, Any] | None) -> Flask:
    return catalogue.load_app(example.module, config)


@pytest.fixture
def example_app(request: pytest.FixtureRequest, redis_url: str) -> Iterator[Flask]:
    """The example's app, with the services examples expect (REDIS_URL) at hand."""
    example: catalogue.Example = request.param
    yield build(example, CONFIG)


app_by_folder = pytest.mark.parametrize(
    "example_app", EXAMPLES, ids=FOLDERS, indirect=True
)


@app_by_folder
def test_example_app_builds_with_its_own_routes(example_app: Flask) -> None:
    endpoints = {rule.endpoint for rule in example_app.url_map.iter_rules()}
    assert endpoints - {"static"}


# -- What the package uses, against what it declares -----------------------------


def package_sources(example: catalogue.Example, *suffixes: str) -> str:
    """The text of the package's files with these suffixes, concatenated."""
    package = example.path / example.package
    return "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted(package.rglob("*"))
        if path.suffix in suffixes and "__pycache__" not in path.parts
    )


# Signs of each part in the package's code and templates: Flask's signed
# cookie (session, flashes) or a CSRF token; an HTML form that posts.
SIGNED_COOKIE_NAMES = {"session", "flash", "get_flashed_messages"}
SIGNS_IN_CODE = re.compile(r"\b(CSRFProtect|FlaskForm|generate_csrf)\b")
SIGNS_IN_TEMPLATES = re.compile(r"get_flashed_messages|\bsession\b|csrf_token")
# (An API may read form-encoded bodies too: the HTML form is what needs CSRF.)
READS_FORMS = re.compile(
    r"FlaskForm|CSRFProtect|<form\b[^>]*method=[\"']?post", re.IGNORECASE
)
NOT_FOUND = "/no-such-thing/here.html"


def imports_from_flask(example: catalogue.Example) -> set[str]:
    """The names the package's modules import from flask."""
    names = set()
    for source in (example.path / example.package).rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                names |= {alias.name for alias in node.names}
    return names


def uses(example: catalogue.Example) -> set[str]:
    """The parts the app uses, found in its code, its templates and its routes."""
    code = package_sources(example, ".py")
    templates = package_sources(example, ".html", ".js")
    app = build(example, CONFIG)
    found = set()
    if (
        SIGNED_COOKIE_NAMES & imports_from_flask(example)
        or SIGNS_IN_CODE.search(code)
        or SIGNS_IN_TEMPLATES.search(templates)
    ):
        found.add("sessions")
    if READS_FORMS.search(code + templates):
        found.add("forms")
    if any(is_api_path(rule.rule) for rule in app.url_map.iter_rules()):
        found.add("api")
    if "static/style.css" in app.test_client().get(NOT_FOUND).text:
        found.add("error-pages")
    return found


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


@by_folder
def test_the_example_declares_exactly_the_parts_it_uses(
    example: catalogue.Example, redis_url: str
) -> None:
    """Both ways: a part it uses is declared (so it is checked below), and a
    part it declares is used (so it carries nothing its pattern does not need)."""
    assert example.capabilities is not None, "no [tool.cookbook] has = [...]"
    declared = set(example.capabilities)
    assert declared <= set(catalogue.CAPABILITIES), declared
    if "forms" in declared:
        assert "sessions" in declared, "a CSRF token is signed: forms need sessions"
    assert uses(example) == declared


@having("sessions")
def test_the_session_cookie_is_sent_only_to_the_same_site(
    example: catalogue.Example, redis_url: str
) -> None:
    """The cookie the app really sets, through its own session interface."""
    app = build(example, CONFIG)
    with app.test_request_context("/"):
        session = app.session_interface.open_session(app, flask.request)
        assert session is not None
        session["probe"] = 1
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
    cookie = response.headers.get("Set-Cookie", "")
    assert "SameSite=Lax" in cookie, cookie
    assert "HttpOnly" in cookie, cookie


# -- The secret key: refused unless it is a real one --------------------------------


@having("sessions")
@pytest.mark.parametrize(
    "secret", [None, "12345", '""', "true"], ids=["missing", "int", "empty", "bool"]
)
def test_no_start_without_a_string_secret_key(
    example: catalogue.Example, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    """`FLASK_SECRET_KEY=12345` is read as JSON: an int, refused like no key."""
    if secret is not None:
        monkeypatch.setenv("FLASK_SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match=r"export FLASK_SECRET_KEY=\$\(python3 -c"):
        build(example, None)


@having("sessions")
def test_the_secret_key_comes_from_the_environment(
    example: catalogue.Example, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-the-environment")
    assert build(example, None).secret_key == "from-the-environment"


@having("sessions")
def test_the_secret_key_comes_from_the_instance_config(
    example: catalogue.Example, instance_path: Path
) -> None:
    instance_path.mkdir(exist_ok=True)
    (instance_path / "config.py").write_text('SECRET_KEY = "from-instance-config"\n')
    assert build(example, None).secret_key == "from-instance-config"


@having("sessions")
def test_debug_mode_runs_with_a_development_key(
    example: catalogue.Example, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    """The READMEs' own command: `flask --app <package> run --debug`, no key set."""
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = build(example, None)
    assert app.debug and app.secret_key
    response = app.test_client().get("/")
    assert response.status_code == 200, response.text


@lacking("sessions")
def test_an_app_that_signs_nothing_runs_without_a_secret_key(
    example: catalogue.Example, redis_url: str
) -> None:
    """Deployed as it is (no debug, no key set), it serves and sets no cookie."""
    app = build(example, None)
    assert not app.debug and not app.testing and app.secret_key is None
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if is_plain_get(rule):
            response = client.get(rule.rule, buffered=True)
            assert response.status_code < 400, (rule.rule, response.text[:500])
            assert "Set-Cookie" not in response.headers, rule.rule


# -- Mounted under a prefix, as the gallery mounts it ---------------------------------


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
    index = client.get(PREFIX + "/")
    assert index.status_code == 200, index.text
    rules = [rule for rule in example_app.url_map.iter_rules() if is_plain_get(rule)]
    for rule in rules:
        response = client.get(PREFIX + rule.rule, buffered=True)
        assert response.status_code < 400, (rule.rule, response.status)
        if response.mimetype != "text/html":
            continue
        for url in local_urls(response.get_data(as_text=True)):
            assert url.startswith(PREFIX + "/"), f"{rule.rule} links to {url}"
            if "/static/" in url:
                asset = client.get(url, buffered=True)
                assert asset.status_code == 200, f"{rule.rule}: {url} is missing"


# -- Forms that change state ----------------------------------------------------------


def post_forms(app: Flask) -> list[tuple[str, Tag]]:
    """(page, form) for every POST form on the app's GET pages (arguments filled
    with "1", the first row a fresh app's demo data has)."""
    client = app.test_client()
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        page = ARGUMENT.sub("1", rule.rule)
        response = client.get(page, buffered=True)
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        for form in soup.find_all("form"):
            if str(form.get("method", "get")).lower() == "post":
                found.append((page, form))
    return found


@having("forms")
def test_every_form_that_changes_state_carries_a_csrf_token(
    example: catalogue.Example, redis_url: str
) -> None:
    """A reader copies the form as it stands: the token must be in it, and a
    post without it is refused with the app's own answer."""
    app = build(example, DEPLOYED)
    forms = post_forms(app)
    assert forms, "no POST form on any of the app's pages"
    client = app.test_client()
    for page, form in forms:
        token = form.find("input", attrs={"name": "csrf_token"})
        assert isinstance(token, Tag) and token.get("value"), (page, str(form)[:300])
        action = str(form.get("action") or page)
        response = client.post(action, data={"probe": "1"})
        assert response.status_code == 400, (action, response.text[:500])
        assert "CSRF token" in response.text, response.text[:500]


def post_paths(app: Flask) -> list[str]:
    """A path for every route that takes a POST, with "1" for each argument."""
    return sorted(
        {
            ARGUMENT.sub("1", rule.rule)
            for rule in app.url_map.iter_rules()
            if "POST" in (rule.methods or ())
        }
    )


def is_own_error(response: TestResponse, path: str, example: catalogue.Example) -> bool:
    """The example's own error answer: its JSON under /api, its layout where it
    has error pages, Werkzeug's page where it leaves errors to Flask."""
    if is_api_path(path) and example.has("api"):
        return set(response.json or {}) >= {"error", "message"}
    if example.has("error-pages"):
        return "static/style.css" in response.text
    return response.text.startswith("<!doctype html>\n<html lang=en>\n<title>")


@having("forms")
def test_a_multipart_part_without_a_name_is_a_400(
    example: catalogue.Example, redis_url: str
) -> None:
    app = build(example, DEPLOYED)
    client = app.test_client()
    paths = post_paths(app)
    assert paths, "an app with forms takes no POST"
    for path in paths:
        response = client.post(
            path, data=NAMELESS_PART, content_type="multipart/form-data; boundary=B"
        )
        assert response.status_code == 400, (path, response.text[:500])
        assert "Every part of a multipart form needs a name." in response.text
        assert is_own_error(response, path, example), response.text[:500]


# -- Errors ------------------------------------------------------------------------


@having("api")
def test_errors_under_api_are_json(example: catalogue.Example, redis_url: str) -> None:
    """The one rule for error answers (CONTRIBUTING.md): JSON at /api and under it."""
    client = build(example, CONFIG).test_client()
    for path in ("/api/no-such-thing/here", "/api"):
        api = client.get(path)
        if api.status_code != 404:  # an example whose API answers at /api itself
            assert path == "/api" and api.status_code < 400, api.text
            continue
        assert api.json is not None and set(api.json) == {"error", "message"}, path


@by_folder
def test_a_missing_page_is_a_404_page(
    example: catalogue.Example, redis_url: str
) -> None:
    """In the app's layout where it has error pages, else Flask's own page."""
    client = build(example, CONFIG).test_client()
    page = client.get(NOT_FOUND)
    assert page.status_code == 404, page.text
    assert page.mimetype == "text/html"
    assert is_own_error(page, NOT_FOUND, example), page.text[:500]


# -- Request bodies: bounded, and never a 500 ----------------------------------------


BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def body_routes() -> dict[str, list[tuple[str, str]]]:
    """For each example, (method, path) for every route that takes a body (POST,
    PUT, PATCH or DELETE), found once while collecting, with a throwaway
    instance folder so nothing is written into the repository."""
    found = {}
    with (
        tempfile.TemporaryDirectory() as instance,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(Flask, "auto_find_instance_path", lambda self: instance)
        patch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # never connected
        for example in EXAMPLES:
            app = build(example, CONFIG)
            found[example.folder] = sorted(
                {
                    (method, ARGUMENT.sub("1", rule.rule))
                    for rule in app.url_map.iter_rules()
                    for method in BODY_METHODS
                    if method in (rule.methods or ())
                }
            )
    return found


BODY_ROUTES = body_routes()
TAKING_BODIES = [e for e in EXAMPLES if BODY_ROUTES[e.folder]]
taking_bodies = over(TAKING_BODIES)
BODILESS = [e for e in EXAMPLES if not BODY_ROUTES[e.folder]]


@taking_bodies
def test_json_nested_too_deep_to_parse_is_no_500(
    example: catalogue.Example, redis_url: str
) -> None:
    """`[[[[...` past Python's recursion limit: json.loads raises RecursionError."""
    client = build(example, CONFIG).test_client()
    body = "[" * 1500 + "]" * 1500  # deeper than the recursion limit, 3 KB
    for method, path in BODY_ROUTES[example.folder]:
        response = client.open(
            path, method=method, data=body, content_type="application/json"
        )
        assert response.status_code < 500, (method, path, response.text[:500])


@taking_bodies
def test_a_body_over_the_limit_is_a_413_in_the_examples_own_shape(
    example: catalogue.Example, redis_url: str
) -> None:
    app = build(example, DEPLOYED)
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert isinstance(limit, int), "MAX_CONTENT_LENGTH is not set"
    assert limit <= 64 * 1024 * 1024, "a limit that fits the example, not any limit"
    client = app.test_client()
    for method, path in BODY_ROUTES[example.folder]:
        for size, refused in ((limit, False), (limit + 1, True)):
            response = client.open(
                path, method=method, data=upload_of_size(size),
                content_type="multipart/form-data; boundary=B",
            )  # fmt: skip
            assert (response.status_code == 413) == refused, (
                f"{method} {path}, {size} bytes: {response.text[:500]}"
            )
        assert is_own_error(response, path, example), response.text[:500]


def upload_of_size(size: int) -> bytes:
    """A multipart body of exactly `size` bytes: one file part, as a big
    upload arrives (file parts are not held to the form memory limit)."""
    head = b'--B\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n'
    tail = b"\r\n--B--\r\n"
    return head + b"x" * (size - len(head) - len(tail)) + tail


# Chunk sizes gunicorn refuses: not hex digits alone, or no chunk at all.
BAD_CHUNKS = [b"+0\r\n\r\n", b"0x0\r\n\r\n", b"-0\r\n\r\n", b"5\r\nab"]
BODY_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=B",
    "application/json",
]


def gunicorn_body(raw: bytes) -> Body:
    """The request body as gunicorn's sync worker hands it to the app: its own
    chunked parser over the bytes from the socket, raising its own errors."""
    request = SimpleNamespace(limit_request_field_size=8190, max_buffer_headers=0)
    return Body(ChunkedReader(request, IterUnreader([raw])))


@taking_bodies
@pytest.mark.parametrize("content_type", BODY_TYPES)
def test_a_malformed_chunked_body_is_a_400_under_gunicorn(
    example: catalogue.Example, content_type: str, redis_url: str
) -> None:
    """gunicorn raises its own errors (not OSError) from inside the body read,
    which Flask alone would answer with a 500. CSRF on, as deployed: every
    form view reads the body."""
    client = build(example, DEPLOYED).test_client()
    for method, path in BODY_ROUTES[example.folder]:
        for raw in BAD_CHUNKS:
            response = client.open(
                path, method=method, content_type=content_type,
                headers={"Transfer-Encoding": "chunked"},
                environ_overrides={
                    "wsgi.input": gunicorn_body(raw), "wsgi.input_terminated": True
                },
            )  # fmt: skip
            where = f"{method} {path} {raw!r}: {response.text[:500]}"
            assert 400 <= response.status_code < 500, where
            if response.status_code == 400:
                assert is_own_error(response, path, example), where


@over(BODILESS)
def test_an_app_that_reads_no_body_sets_no_body_limit(
    example: catalogue.Example, redis_url: str
) -> None:
    """No route takes a body, so no view reads one: a limit would guard nothing."""
    app = build(example, DEPLOYED)
    assert app.config["MAX_CONTENT_LENGTH"] is None


# -- What the framework sees before any view: never a 500 -----------------------------


@by_folder
@pytest.mark.parametrize("host", BAD_HOSTS)
def test_a_host_header_that_is_no_host_name_is_a_400(
    example: catalogue.Example, host: str, redis_url: str
) -> None:
    app = build(example, DEPLOYED)
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if is_plain_get(rule):
            response = client.get(rule.rule, headers={"Host": host})
            assert response.status_code == 400, (rule.rule, response.text[:500])


@by_folder
def test_a_405_says_which_methods_are_allowed(
    example: catalogue.Example, redis_url: str
) -> None:
    """HTTP requires Allow on a 405: the error handler must keep the error's headers."""
    app = build(example, CONFIG)
    client = app.test_client()
    answers = [
        (rule.rule, client.open(ARGUMENT.sub("1", rule.rule), method="PATCH"))
        for rule in app.url_map.iter_rules()
        if "PATCH" not in (rule.methods or ())
    ]
    refused = [(path, r) for path, r in answers if r.status_code == 405]
    assert refused, "no route answered PATCH with a 405"
    for path, response in refused:
        allowed = set(response.headers.get("Allow", "").replace(" ", "").split(","))
        assert allowed - {""}, (path, dict(response.headers))
        assert is_own_error(response, path, example), response.text[:500]


@pytest.fixture
def fields(example_app: Flask) -> list[str]:
    return input_names(example_app)


# Requests sent in each test case, and a third as many cases: as many requests
# as the profile's max_examples, and Hypothesis' own work for a case (it costs
# about what a request does) done a third as often.
REQUESTS_PER_CASE = 3


@app_by_folder
@settings(
    # The app is built once per example and reused across draws, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    max_examples=max(1, settings.default.max_examples // REQUESTS_PER_CASE),
)
@given(data=st.data())
def test_routes_survive_malformed_requests(
    example_app: Flask, fields: list[str], data: st.DataObject
) -> None:
    """Odd path values, query strings, bodies, content types, hosts: never a 500."""
    for _ in range(REQUESTS_PER_CASE):
        method, path, response = send_malformed(example_app, fields, data.draw)
        assert response.status_code < 500, (method, path, response.get_data()[:500])


# -- Copied alone, the way a user copies it ------------------------------------------


def clean_env() -> dict[str, str]:
    """This environment without the developer's Flask and Python settings, nor
    coverage's (these processes run copies, outside the code it measures)."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FLASK_", "PYTHON", "COVERAGE_"))
        and name != "REDIS_URL"
    }


@pytest.fixture(scope="session")
def preloaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PreloadedPython]:
    """Fresh processes for the commands these tests run, with Flask imported."""
    python = PreloadedPython(clean_env(), tmp_path_factory.mktemp("preloaded"))
    yield python
    python.close()


SERVE_INDEX = """
import sys
from flask.cli import ScriptInfo
app = ScriptInfo(app_import_path={package!r}).load_app()
response = app.test_client().get("/")
print(sys.modules[{package!r}].__file__)
print(response.status_code)
print(response.get_data(as_text=True)[:2000])
"""


@by_folder
def test_the_package_copied_alone_serves_its_index(
    example: catalogue.Example, tmp_path: Path, preloaded: PreloadedPython
) -> None:
    """`cp -r examples/<folder>/<package> project/`, then `flask --app <package>`."""
    project = tmp_path / "project"
    shutil.copytree(
        example.path / example.package,
        project / example.package,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    result = preloaded.python(
        SERVE_INDEX.format(package=example.package),
        cwd=project, env={**clean_env(), "FLASK_DEBUG": "1"}, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    module_file, status, body = result.stdout.split("\n", 2)
    assert Path(module_file).is_relative_to(project), "it ran from the repository"
    assert status == "200", body
