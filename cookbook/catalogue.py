"""Find the examples and read what their READMEs say about them.

Used by the gallery, the README index check and the catalogue tests. An
example is any package folder under examples/: adding one needs no list.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from typing import cast

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# The sections every example README has, in this order (see CONTRIBUTING.md).
README_SECTIONS = (
    "The problem",
    "Files",
    "Run it",
    "Copy it into your project",
    "Test it",
    "Beyond the Flask docs",
)
DOCS_LINK = re.compile(r"\((https://flask\.palletsprojects\.com/[^)\s]+)\)")
# What counts as an example's source: everything but caches and compiled files.
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}


@dataclass(frozen=True)
class Example:
    folder: str

    @property
    def path(self) -> Path:
        return EXAMPLES / self.folder

    @property
    def module(self) -> str:
        return f"examples.{self.folder}"

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
        return match.group(1) if match else None

    @property
    def sections(self) -> list[str]:
        """The README's `## ` headings, in order."""
        return [
            line[3:].strip()
            for line in self.readme.splitlines()
            if line.startswith("## ")
        ]

    @property
    def has_celery_worker(self) -> bool:
        """Examples with a make_celery.py get a worker in the gallery."""
        return (self.path / "make_celery.py").exists()

    def source_files(self) -> list[str]:
        """The example's files, relative to its folder, for the gallery to show."""
        return sorted(
            path.relative_to(self.path).as_posix()
            for path in self.path.rglob("*")
            if path.is_file()
            and not SKIPPED_PARTS.intersection(path.parts)
            and path.suffix not in {".pyc", ".pyo"}
        )


def discover() -> list[Example]:
    """Every example: each package folder under examples/, by name."""
    return [
        Example(path.name)
        for path in sorted(EXAMPLES.iterdir())
        if path.is_dir() and (path / "__init__.py").exists()
    ]


def load_app(module_name: str, config: Mapping[str, Any] | None = None) -> Flask:
    """Build an example's Flask app the way its pattern says to.

    Most examples have a `create_app(test_config)` factory; a pattern that
    calls for a module-level `app` is configured in place.
    """
    module = importlib.import_module(module_name)
    if hasattr(module, "create_app"):
        return cast(Flask, module.create_app(config))
    app = cast(Flask, module.app)
    app.config.update(config or {})
    return app
