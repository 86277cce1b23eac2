"""The gallery: every example mounted at /<folder>/, with an index page.

The gallery's own pages live at /, /readme/<folder> and /source/<folder>/...;
everything under /<folder>/ belongs to that example.

The index lists each example's title and summary (from its README) with
links to the live app, the README rendered as HTML, and its source files.
Examples are discovered, so a new folder shows up with no edit here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import TYPE_CHECKING

from flask import abort
from flask import Flask
from flask import render_template
from flask.typing import ResponseReturnValue
from markdown_it import MarkdownIt
from markupsafe import Markup
from werkzeug.middleware.dispatcher import DispatcherMiddleware

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

from . import catalogue

# Raw HTML in a README is shown as text, not rendered.
markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_inline(text: str) -> Markup:
    """A README summary's `code` and *emphasis*, as HTML."""
    return Markup(markdown.renderInline(text))  # noqa: S704 - html disabled


def create_index(examples: list[catalogue.Example]) -> Flask:
    """The gallery's own pages: the index, READMEs and source files."""
    app = Flask(__name__)
    app.add_template_filter(render_inline, "markdown_inline")
    by_folder = {example.folder: example for example in examples}

    def find(folder: str) -> catalogue.Example:
        example = by_folder.get(folder)
        if example is None:
            abort(404)
        return example

    @app.get("/")
    def index() -> ResponseReturnValue:
        return render_template("gallery/index.html", examples=examples)

    @app.get("/readme/<folder>")
    def readme(folder: str) -> ResponseReturnValue:
        example = find(folder)
        html = Markup(markdown.render(example.readme))  # noqa: S704 - html disabled
        return render_template("gallery/readme.html", example=example, html=html)

    @app.get("/source/<folder>/<path:filename>")
    def source(folder: str, filename: str) -> ResponseReturnValue:
        example = find(folder)
        # Only files the catalogue lists: no path from the URL reaches the disk.
        if filename not in example.source_files():
            abort(404)
        try:
            text = (example.path / filename).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            abort(404)
        return render_template(
            "gallery/source.html", example=example, filename=filename, text=text
        )

    return app


def create_gallery(config: Mapping[str, Any] | None = None) -> DispatcherMiddleware:
    """One WSGI app: the index at /, each example at /<folder>/."""
    examples = catalogue.discover()
    mounts: dict[str, WSGIApplication] = {
        f"/{example.folder}": catalogue.load_app(example.module, config)
        for example in examples
    }
    return DispatcherMiddleware(create_index(examples), mounts)
