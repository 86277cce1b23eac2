"""Find the examples and read what their READMEs say about them.

Used by the gallery, the README index check and the catalogue tests. An
example is any folder under examples/, laid out like a small project: a
README.md and one package (the app) beside it. Adding one needs no list.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from typing import cast

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
README = ROOT / "README.md"

# The 25 pattern folders, in the order of the Flask docs' table of contents:
# the order of the README index and of the gallery.
PATTERNS = (
    "packages", "app_factory", "app_dispatch", "url_processors", "distribute",
    "fabric", "sqlite3", "sqlalchemy", "file_uploads", "caching",
    "view_decorators", "wtforms", "template_inheritance", "flashing", "jquery",
    "lazy_loading", "mongoengine", "favicon", "streaming", "deferred_callbacks",
    "method_overrides", "request_checksum", "celery", "subclassing",
    "single_page_app",
)  # fmt: skip

# The sections every example README has, in this order (see CONTRIBUTING.md).
README_SECTIONS = (
    "The problem",
    "Where the pattern is",
    "Run it",
    "Copy it into your project",
    "Test it",
    "Beyond the Flask docs",
)
# The one sentence, right under the summary, that links the docs page.
DOCS_LINK = re.compile(
    r"^Follows the Flask docs page \[([^\]]+)\]"
    r"\((https://flask\.palletsprojects\.com/en/stable/patterns/[a-z0-9]+/)\)\.$",
    re.MULTILINE,
)
# Words in each Flask docs page (`wc -w` of its source), by its slug: an
# example's README says no more in prose (its code blocks aside) than the page
# it follows. A few pages are a paragraph long: a README that follows one of
# those may use SHORT_PAGE_WORDS, what a recipe with its commands needs.
DOCS_PAGE_WORDS = {
    "appdispatch": 769, "appfactories": 527, "caching": 105, "celery": 1152,
    "deferredcallbacks": 252, "distribute": 918, "fabric": 1049, "favicon": 309,
    "fileuploads": 970, "flashing": 559, "jquery": 870, "lazyloading": 492,
    "methodoverrides": 153, "mongoengine": 328, "packages": 522,
    "requestchecksum": 221, "singlepageapplications": 81, "sqlalchemy": 833,
    "sqlite3": 713, "streaming": 442, "subclassing": 71, "templateinheritance": 301,
    "urlprocessors": 524, "viewdecorators": 827, "wtforms": 587,
}  # fmt: skip
SHORT_PAGE = 200
SHORT_PAGE_WORDS = 300
# What an example's app may have, declared in its pyproject.toml as
# `[tool.cookbook] has = [...]`. It carries the parts these need and no others;
# the catalogue tests each part an example has, and fail one that uses a part
# it does not declare.
CAPABILITIES = {
    "sessions": "signs cookies (a session, flashed messages, CSRF tokens): "
    "a secret key, SameSite=Lax",
    "forms": "HTML forms that change state: a CSRF token in each, and the guard "
    "against multipart parts with no name",
    "api": "a JSON API under /api: its errors answered in JSON there",
    "error-pages": "its own HTML error pages, in its layout",
}
# The code block(s) of "Where the pattern is": ```python title="<file>"```,
# the file relative to the example's folder; each must be lines of that file.
PATTERN_BLOCK = re.compile(
    r'^```(\w+) title="([^"]+)"\n(.*?)^```$', re.MULTILINE | re.DOTALL
)
PATTERN_LINES = 45
# The examples the root workspace does not install into .venv/: distribute's
# pattern is its packaging, so its tests build and install it into virtualenvs
# of their own, its README runs it first uninstalled, and an editable install
# would list shelf_app among the installed libraries' modules. It is imported
# from its folder instead.
UNINSTALLED = {"distribute"}
# What each example needs started or installed (see the file's comments).
SERVICES = tomllib.loads((ROOT / "cookbook" / "services.toml").read_text("utf-8"))
# Not the example's source: caches, compiled files, data written by a run.
SKIPPED_PARTS = {
    "__pycache__", ".pytest_cache", ".mypy_cache", "instance", "dist", "build",
}  # fmt: skip


@dataclass(frozen=True)
class Example:
    folder: str

    @property
    def path(self) -> Path:
        return EXAMPLES / self.folder

    @cached_property
    def package(self) -> str:
        """The app's package: the one folder beside the README with an __init__.py."""
        packages = sorted(p.parent.name for p in self.path.glob("*/__init__.py"))
        if len(packages) != 1:
            raise LookupError(f"examples/{self.folder} has packages {packages}")
        return packages[0]

    @property
    def is_project(self) -> bool:
        """A project of its own (layout v3): a pyproject.toml that the root's
        uv workspace installs, and its own tests/ beside the package."""
        return (self.path / "tests" / "conftest.py").is_file()

    @property
    def module(self) -> str:
        """The package's import name: its own, as the root's uv workspace
        installs every example into .venv/."""
        return self.package

    @cached_property
    def pyproject(self) -> dict[str, Any]:
        """The example's own pyproject.toml, or {} while it has none."""
        path = self.path / "pyproject.toml"
        return tomllib.loads(path.read_text("utf-8")) if path.exists() else {}

    @cached_property
    def readme(self) -> str:
        readme = self.path / "README.md"
        return readme.read_text(encoding="utf-8") if readme.exists() else ""

    @property
    def title(self) -> str:
        """The README's `# Title`, or the folder name while there is none."""
        for line in self.readme.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
        return self.folder

    @property
    def summary(self) -> str:
        """The README's first paragraph after the title, on one line."""
        for paragraph in self.readme.split("\n\n"):
            paragraph = paragraph.strip()
            if paragraph and not paragraph.startswith("#"):
                return " ".join(paragraph.split())
        return ""

    @property
    def docs_url(self) -> str | None:
        match = DOCS_LINK.search(self.readme)
        return match.group(2) if match else None

    @property
    def docs_slug(self) -> str | None:
        return self.docs_url.rstrip("/").rsplit("/", 1)[1] if self.docs_url else None

    @property
    def sections(self) -> list[str]:
        """The README's `## ` headings, in order."""
        return [
            line[3:].strip()
            for line in self.readme.splitlines()
            if line.startswith("## ")
        ]

    def section(self, heading: str) -> str:
        """The text of one `## ` section, up to the next heading."""
        match = re.search(
            rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)",
            self.readme,
            re.MULTILINE | re.DOTALL,
        )
        return match.group(1) if match else ""

    @property
    def word_limit(self) -> int:
        """How many words of prose the README may have: as many as its docs page."""
        words = DOCS_PAGE_WORDS.get(self.docs_slug or "", 0)
        return SHORT_PAGE_WORDS if words < SHORT_PAGE else words

    @property
    def prose_words(self) -> int:
        """The README's words outside its fenced code blocks."""
        prose = re.sub(r"^```.*?^```$", "", self.readme, flags=re.MULTILINE | re.DOTALL)
        return len(prose.split())

    @cached_property
    def capabilities(self) -> frozenset[str] | None:
        """What the app declares it has, or None while it declares nothing."""
        table = self.pyproject.get("tool", {}).get("cookbook")
        return None if table is None else frozenset(table.get("has", []))

    def has(self, capability: str) -> bool:
        assert capability in CAPABILITIES, capability
        return capability in (self.capabilities or ())

    @property
    def pattern_blocks(self) -> list[tuple[str, str, str]]:
        """(language, file, code) of each titled block in "Where the pattern is"."""
        return [
            (language, file, code)
            for language, file, code in PATTERN_BLOCK.findall(
                self.section("Where the pattern is")
            )
        ]

    def pattern_lines(self) -> tuple[str, list[int]] | None:
        """The file the README shows first and which of its lines (from 1) it
        shows, or None when the README shows no code or the file has changed."""
        if not self.pattern_blocks:
            return None
        _, file, code = self.pattern_blocks[0]
        return file, find_lines(self.path / file, code)

    @property
    def services(self) -> list[str]:
        """What the example needs started, as cookbook/services.toml declares."""
        needs: list[str] = SERVICES["examples"].get(self.folder, [])
        return needs

    def source_files(self) -> list[str]:
        """The example's files, relative to its folder, for the gallery to show.

        Regular files only: a symlink could point anywhere on the disk.
        """
        return sorted(
            path.relative_to(self.path).as_posix()
            for path in self.path.rglob("*")
            if path.is_file()
            and not path.is_symlink()
            and not SKIPPED_PARTS.intersection(path.relative_to(self.path).parts)
            and not any(p.endswith(".egg-info") for p in path.parts)
            and path.suffix not in {".pyc", ".pyo"}
        )


def index_order() -> list[str]:
    """The folders in the order the README index lists them."""
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    rows = re.findall(r"^\|[^|]+\| \[examples/(\w+)/?\]", text, re.MULTILINE)
    return list(dict.fromkeys(rows))


def discover() -> list[Example]:
    """Every example: each folder under examples/, in the docs' order."""
    folders = [
        path.name
        for path in EXAMPLES.iterdir()
        if path.is_dir() and path.name != "__pycache__"
    ]
    order = {folder: n for n, folder in enumerate(PATTERNS)}
    return [
        Example(folder)
        for folder in sorted(folders, key=lambda f: (order.get(f, len(order)), f))
    ]


def load_app(module_name: str, config: Mapping[str, Any] | None = None) -> Flask:
    """Build an example's Flask app the way its pattern says to.

    Most examples have a `create_app(test_config)` factory. A pattern that
    calls for a module-level `app` (packages) is imported afresh, with the
    config passed as FLASK_* variables that its `from_prefixed_env()` reads,
    so every call gets a new app configured before its import-time checks.
    """
    uninstalled = [EXAMPLES / folder for folder in sorted(UNINSTALLED)]
    for folder in uninstalled:
        if (folder / module_name).is_dir() and str(folder) not in sys.path:
            sys.path.append(str(folder))
    fresh = module_name not in sys.modules
    # For a module-level app the first import is what builds (and checks) it.
    module = import_with_env(module_name, config)
    if hasattr(module, "create_app"):
        return cast(Flask, module.create_app(config))
    if not fresh:
        stale = [m for m in sys.modules if f"{m}.".startswith(f"{module_name}.")]
        for name in stale:
            del sys.modules[name]
        module = import_with_env(module_name, config)
    return cast(Flask, module.app)


def import_with_env(module_name: str, config: Mapping[str, Any] | None) -> Any:
    """Import a module with `config` in the environment as FLASK_* variables."""
    saved = dict(os.environ)
    try:
        os.environ.update(
            {f"FLASK_{k}": json.dumps(v) for k, v in (config or {}).items()}
        )
        return importlib.import_module(module_name)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def find_lines(path: Path, code: str) -> list[int]:
    """The numbers of the lines of `path` that `code` is a verbatim run of."""
    wanted = code.splitlines()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    for start in range(len(lines) - len(wanted) + 1):
        if lines[start : start + len(wanted)] == wanted:
            return list(range(start + 1, start + len(wanted) + 1))
    return []
