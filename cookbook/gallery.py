"""The gallery: every example mounted at /<folder>/, with an index page.

The gallery's own pages live at /, /readme/<folder> and /source/<folder>/...;
everything under /<folder>/ belongs to that example. Examples are discovered,
so a new folder shows up with no edit here. No example knows about the
gallery: the bar that leads back to it is added to their HTML responses by
`GalleryBar`, a WSGI middleware.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import TYPE_CHECKING

from flask import abort
from flask import Flask
from flask import render_template
from flask import send_file
from flask.typing import ResponseReturnValue
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType
from markdown_it.utils import OptionsDict
from markupsafe import escape
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.lexers import get_lexer_for_filename
from pygments.util import ClassNotFound
from werkzeug.datastructures import Headers
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment

from . import catalogue

FORMATTER = HtmlFormatter(linenos="table", anchorlinenos=True, lineanchors="L")


def highlight_code(code: str, language: str) -> str:
    """A README's fenced code block, highlighted (no line numbers)."""
    try:
        lexer = get_lexer_by_name(language or "text")
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    html = str(highlight(code, lexer, HtmlFormatter()))
    # A long line scrolls the block sideways: the keyboard must reach it too.
    return html.replace("<pre>", '<pre tabindex="0">', 1)


def render_fence(
    _renderer: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    _options: OptionsDict,
    _env: EnvType,
) -> str:
    """Pygments' own `<div class="highlight"><pre>` block, as it comes: the
    `highlight` option would wrap it in `<pre><code>`, where no <div> may go."""
    token = tokens[idx]
    language = token.info.split(maxsplit=1)[0] if token.info.strip() else ""
    return highlight_code(token.content, language)


# Raw HTML in a README is shown as text, not rendered.
markdown = MarkdownIt("commonmark", {"html": False})
markdown.enable("table")
markdown.add_render_rule("fence", render_fence)


def render_inline(text: str) -> Markup:
    """A README summary's `code` and *emphasis*, as HTML."""
    return Markup(markdown.renderInline(text))  # noqa: S704  # nosec B704 - html disabled


def text_files(example: catalogue.Example) -> list[str]:
    """The example's files that are UTF-8 text, which the gallery can show."""
    texts = []
    for name in example.source_files():
        try:
            (example.path / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        texts.append(name)
    return texts


def highlight_file(
    example: catalogue.Example, filename: str, marked: list[int]
) -> Markup:
    """One of the example's text files, highlighted, with line numbers that
    link to themselves and the `marked` lines (from 1) picked out."""
    text = (example.path / filename).read_text(encoding="utf-8")
    try:
        lexer = get_lexer_for_filename(filename, text)
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    formatter = HtmlFormatter(
        linenos="table", anchorlinenos=True, lineanchors="L", hl_lines=marked
    )
    return Markup(highlight(text, lexer, formatter))  # noqa: S704  # nosec B704 - pygments escapes


def create_index(examples: list[catalogue.Example]) -> Flask:
    """The gallery's own pages: the index, READMEs and source files."""
    app = Flask(__name__)
    app.add_template_filter(render_inline, "markdown_inline")
    app.config["PYGMENTS_CSS"] = FORMATTER.get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    by_folder = {example.folder: example for example in examples}

    def find(folder: str) -> catalogue.Example:
        example = by_folder.get(folder)
        if example is None:
            abort(404)
        return example

    @app.get("/")
    def index() -> ResponseReturnValue:
        return render_template("gallery/index.html", examples=examples)

    @app.get("/favicon.ico")
    def favicon() -> ResponseReturnValue:
        # Browsers ask for /favicon.ico on every example's page too.
        return app.send_static_file("favicon.ico")

    @app.get("/readme/<folder>")
    def readme(folder: str) -> ResponseReturnValue:
        example = find(folder)
        html = Markup(markdown.render(example.readme))  # noqa: S704  # nosec B704 - html disabled
        return render_template("gallery/readme.html", example=example, html=html)

    @app.get("/source/<folder>/")
    def files(folder: str) -> ResponseReturnValue:
        """The file the README shows first, its pattern lines marked, then the
        list of all the example's files."""
        example = find(folder)
        shown = example.pattern_lines()
        code = None
        if shown is not None:
            filename, lines = shown
            code = highlight_file(example, filename, lines)
        return render_template(
            "gallery/files.html",
            example=example,
            shown=shown,
            code=code,
            texts=set(text_files(example)),
        )

    @app.get("/source/<folder>/<path:filename>")
    def source(folder: str, filename: str) -> ResponseReturnValue:
        example = find(folder)
        # Only files the catalogue lists: no path from the URL reaches the disk.
        if filename not in example.source_files():
            abort(404)
        if filename not in text_files(example):
            # A binary file (an icon, an image): a download, never shown as text.
            return send_file(example.path / filename, as_attachment=True)
        code = highlight_file(example, filename, [])
        return render_template(
            "gallery/source.html", example=example, filename=filename, code=code
        )

    return app


BODY_TAG = re.compile(rb"<body[^>]*>", re.IGNORECASE)
# Inline, so that no example's stylesheet is needed or disturbed; the margin
# stretches the bar to the window's edges inside a centred, narrow body.
BAR_STYLE = (
    "display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:0 calc(50% - 50vw);"
    "padding:.4rem max(1rem, calc(50vw - 22rem));background:#1f2328;"
    "font:14px/1.4 system-ui,sans-serif"
)
LINK_STYLE = "color:#f6f8fa;text-decoration:underline"


class GalleryBar:
    """Add a thin bar to an example's HTML pages: back to the gallery, README, source.

    The way Flask-DebugToolbar adds its toolbar: the example's response is
    rewritten on the way out, so the example itself knows nothing of it.
    Only whole pages: files, parts of files and streams pass untouched.
    """

    def __init__(self, app: WSGIApplication, example: catalogue.Example) -> None:
        self.app = app
        self.example = example

    def bar(self, environ: WSGIEnvironment) -> bytes:
        # SCRIPT_NAME is the gallery's root plus "/<folder>" here.
        root = environ.get("SCRIPT_NAME", "").removesuffix(f"/{self.example.folder}")
        folder = self.example.folder
        links = [
            (f"{root}/", "← Flask Cookbook"),
            (f"{root}/readme/{folder}", "README"),
            (f"{root}/source/{folder}/", "Source"),
        ]
        html = "".join(
            f'<a style="{LINK_STYLE}" href="{escape(href)}">{label}</a>'
            for href, label in links
        )
        return (
            f'<nav id="cookbook-bar" aria-label="Flask Cookbook" style="{BAR_STYLE}">'
            f"{html}</nav>"
        ).encode()

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        captured: list[Any] = []

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            captured[:] = [status, headers, exc_info]
            return lambda data: None  # the write() callable, unused by Flask

        body = self.app(environ, capture)
        status, header_list, exc_info = captured
        if not is_a_whole_page(status, Headers(header_list)):
            start_response(status, header_list, exc_info)
            return body
        headers = Headers(header_list)
        try:
            html = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        html = BODY_TAG.sub(lambda m: m.group(0) + self.bar(environ), html, count=1)
        headers["Content-Length"] = str(len(html))
        start_response(status, headers.to_wsgi_list(), exc_info)
        return [html]


# A response with any of these is a file or names its exact bytes: a download
# (even an uploaded .html), a part of a file, or a body that a validator
# (ETag, Last-Modified) lets caches and range requests reuse. One byte more
# would corrupt it, or make its Content-Range and Content-Length disagree.
FILE_HEADERS = (
    "Content-Disposition", "Content-Encoding", "Content-Range",
    "Accept-Ranges", "ETag", "Last-Modified",
)  # fmt: skip


def is_a_whole_page(status: str, headers: Headers) -> bool:
    """An HTML page the example rendered, whole (200, not 206 or 304), with
    its length known (a streamed page passes untouched, still streaming)."""
    return (
        status.startswith("200 ")
        and headers.get("Content-Type", "").startswith("text/html")
        and "Content-Length" in headers
        and not any(name in headers for name in FILE_HEADERS)
    )


def refuse_odd_paths(app: WSGIApplication) -> WSGIApplication:
    """400 for a request target that is no path (`GET %0d%0aX`).

    DispatcherMiddleware would take it for a mount point, and the redirect
    to "<it>/" would put a CR LF into a header: a 500 from Werkzeug.
    """

    def guarded(
        environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path and (not path.startswith("/") or not path.isprintable()):
            response = Response("400 Bad Request: the path must start with /.", 400)
            return response(environ, start_response)
        return app(environ, start_response)

    return guarded


def create_gallery(config: Mapping[str, Any] | None = None) -> WSGIApplication:
    """One WSGI app: the index at /, each example at /<folder>/."""
    examples = catalogue.discover()
    mounts: dict[str, WSGIApplication] = {}
    for example in examples:
        app = catalogue.load_app(
            example.module,
            {
                **(config or {}),
                # Each example its own session: its own cookie path and secret,
                # so no example reads another's session, flashes or CSRF token.
                "SECRET_KEY": secrets.token_hex(),
                "SESSION_COOKIE_PATH": f"/{example.folder}/",
            },
        )
        mounts[f"/{example.folder}"] = GalleryBar(app, example)
    return refuse_odd_paths(DispatcherMiddleware(create_index(examples), mounts))
