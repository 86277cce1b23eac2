"""What every example must satisfy. A new folder under examples/ is checked here
the moment it exists: no list to update."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from werkzeug.exceptions import RequestEntityTooLarge
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

EXAMPLES = catalogue.discover()
FOLDERS = [example.folder for example in EXAMPLES]
README = catalogue.README.read_text(encoding="utf-8")
# What most checks configure: testing mode, a secret, and CSRF off so that
# malformed bodies reach the views instead of stopping at the token check
# (each example's own tests check CSRF).
CONFIG = {"TESTING": True, "SECRET_KEY": "catalogue", "WTF_CSRF_ENABLED": False}
# The checks of what the framework sees before any view keep CSRF on, as deployed.
DEPLOYED = {"TESTING": True, "SECRET_KEY": "catalogue"}
REFERENCE_STYLESHEET = (
    catalogue.EXAMPLES / "sqlite3" / "notes" / "static" / "style.css"
).read_bytes()
by_folder = pytest.mark.parametrize("example", EXAMPLES, ids=FOLDERS)


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
    assert name not in importlib.metadata.packages_distributions()


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
    words = len(example.readme.split())
    assert words <= example.word_limit, f"{words} words, at most {example.word_limit}"


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
    example: catalogue.Example, tmp_path: Path
) -> None:
    """Each `flask --app X` of "Run it", run as typed in (a copy of) the folder."""
    apps = re.findall(r"flask --app ('[^']+'|\S+)", example.section("Run it"))
    assert apps, "Run it shows no `flask --app ...` command"
    flask = Path(sys.executable).parent / "flask"
    folder = tmp_path / example.folder  # the app may write instance/ there
    shutil.copytree(example.path, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for app in dict.fromkeys(apps):
        result = subprocess.run(
            [flask, "--app", app.strip("'"), "routes"],
            cwd=folder,
            env={**clean_env(), "FLASK_DEBUG": "1"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr


def imported_distributions(package: Path) -> set[str]:
    """The distributions whose modules the package's code imports."""
    modules = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    owners = importlib.metadata.packages_distributions()
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


@app_by_folder
def test_sessions_are_sent_only_to_the_same_site(example_app: Flask) -> None:
    assert example_app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


# -- The secret key: refused unless it is a real one --------------------------------


@by_folder
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


@by_folder
def test_the_secret_key_comes_from_the_environment(
    example: catalogue.Example, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-the-environment")
    assert build(example, None).secret_key == "from-the-environment"


@by_folder
def test_the_secret_key_comes_from_the_instance_config(
    example: catalogue.Example, instance_path: Path
) -> None:
    instance_path.mkdir(exist_ok=True)
    (instance_path / "config.py").write_text('SECRET_KEY = "from-instance-config"\n')
    assert build(example, None).secret_key == "from-instance-config"


@by_folder
def test_debug_mode_runs_with_a_development_key(
    example: catalogue.Example, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    """The READMEs' own command: `flask --app <package> run --debug`, no key set."""
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = build(example, None)
    assert app.debug and app.secret_key
    response = app.test_client().get("/")
    assert response.status_code == 200, response.text


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


# -- What the framework sees before any view: never a 500 -----------------------------


def post_paths(app: Flask) -> list[str]:
    """A path for every route that takes a POST, with "1" for each argument."""
    return sorted(
        {
            ARGUMENT.sub("1", rule.rule)
            for rule in app.url_map.iter_rules()
            if "POST" in (rule.methods or ())
        }
    )


def is_own_error(response: TestResponse, path: str) -> bool:
    """The example's own error answer: its JSON under /api, else its layout."""
    if path == "/api" or path.startswith("/api/"):
        return set(response.json or {}) >= {"error", "message"}
    return "static/style.css" in response.text


@by_folder
def test_a_multipart_part_without_a_name_is_a_400(
    example: catalogue.Example, redis_url: str
) -> None:
    app = build(example, DEPLOYED)
    client = app.test_client()
    for path in post_paths(app) or ["/"]:
        response = client.post(
            path, data=NAMELESS_PART, content_type="multipart/form-data; boundary=B"
        )
        assert response.status_code == 400, (path, response.text[:500])
        assert "Every part of a multipart form needs a name." in response.text
        assert is_own_error(response, path), response.text[:500]


@by_folder
def test_errors_under_api_are_json_and_pages_elsewhere(
    example: catalogue.Example, redis_url: str
) -> None:
    """The one rule for error answers (CONTRIBUTING.md), in every example."""
    client = build(example, CONFIG).test_client()
    for path in ("/api/no-such-thing/here", "/api"):
        api = client.get(path)
        if api.status_code != 404:  # an example whose API answers at /api itself
            assert path == "/api" and api.status_code < 400, api.text
            continue
        assert api.json is not None and set(api.json) == {"error", "message"}, path
    page = client.get("/no-such-thing/here.html")
    assert page.status_code == 404, page.text
    assert page.mimetype == "text/html"
    assert is_own_error(page, "/no-such-thing/here.html"), page.text[:500]


@by_folder
def test_json_nested_too_deep_to_parse_is_no_500(
    example: catalogue.Example, redis_url: str
) -> None:
    """`[[[[...` past Python's recursion limit: json.loads raises RecursionError."""
    app = build(example, CONFIG)
    client = app.test_client()
    body = "[" * 1500 + "]" * 1500  # deeper than the recursion limit, 3 KB
    for path in post_paths(app):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code < 500, (path, response.text[:500])


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
def test_a_body_over_the_limit_is_a_413_in_the_examples_own_shape(
    example: catalogue.Example, redis_url: str
) -> None:
    app = build(example, DEPLOYED)
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert isinstance(limit, int), "MAX_CONTENT_LENGTH is not set"
    assert limit <= 64 * 1024 * 1024, "a limit that fits the example, not any limit"
    client = app.test_client()
    default_page = RequestEntityTooLarge().get_body()
    for path in post_paths(app):
        response = client.post(
            path,
            data=b"a=" + b"x" * (limit - 1),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 413, (path, response.text[:500])
        assert response.text != default_page
        assert is_own_error(response, path), response.text[:500]


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
        assert is_own_error(response, path), response.text[:500]


@pytest.fixture
def fields(example_app: Flask) -> list[str]:
    return input_names(example_app)


@app_by_folder
@settings(
    # The app is built once per example and reused across draws, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_routes_survive_malformed_requests(
    example_app: Flask, fields: list[str], data: st.DataObject
) -> None:
    """Odd path values, query strings, bodies, content types, hosts: never a 500."""
    method, path, response = send_malformed(example_app, fields, data.draw)
    assert response.status_code < 500, (method, path, response.get_data()[:500])


# -- Copied alone, the way a user copies it ------------------------------------------


def clean_env() -> dict[str, str]:
    """This environment without the developer's Flask and Python settings."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FLASK_", "PYTHON")) and name != "REDIS_URL"
    }


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
    example: catalogue.Example, tmp_path: Path
) -> None:
    """`cp -r examples/<folder>/<package> project/`, then `flask --app <package>`."""
    project = tmp_path / "project"
    shutil.copytree(
        example.path / example.package,
        project / example.package,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    result = subprocess.run(
        [sys.executable, "-c", SERVE_INDEX.format(package=example.package)],
        cwd=project,
        env={**clean_env(), "FLASK_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    module_file, status, body = result.stdout.split("\n", 2)
    assert Path(module_file).is_relative_to(project), "it ran from the repository"
    assert status == "200", body
