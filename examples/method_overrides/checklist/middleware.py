"""HTTP method overrides: a POST that says it means PUT, PATCH or DELETE.

HTML forms can send only GET and POST, and some proxies drop other methods.
Such a client POSTs and names the method it means: in the
`X-HTTP-Method-Override` header, or in a hidden `_method` field of a plain
form. This middleware rewrites the request before Flask sees it, so the app
routes it as the method meant and CSRF checks apply to it as usual.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from wsgiref.types import StartResponse
    from wsgiref.types import WSGIApplication
    from wsgiref.types import WSGIEnvironment

# Only these may be asked for, and only by a POST. A GET is "safe": links,
# prefetchers and <img> tags send it freely, so it must never become a DELETE.
# Names are matched exactly: HTTP methods are case-sensitive (RFC 9110, 9.1),
# so "delete" is an unknown method and the request stays a POST.
ALLOWED_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
# Methods whose body has no meaning: the app gets the request with no body.
BODYLESS_METHODS = frozenset({"DELETE"})
# Where the app (or a log) can see that the request arrived as a POST.
ORIGINAL_METHOD_KEY = "method_override.original_method"


class MethodOverrideMiddleware:
    """Wrap a WSGI app: `app.wsgi_app = MethodOverrideMiddleware(app.wsgi_app)`."""

    def __init__(
        self,
        app: WSGIApplication,
        *,
        form_field: str = "_method",
        max_form_size: int = 64 * 1024,
        token_field: str = "csrf_token",  # noqa: S107 - a field name, no secret
    ) -> None:
        self.app = app
        self.form_field = form_field
        # The hidden field is read only from a urlencoded body this small.
        self.max_form_size = max_form_size
        # A DELETE from a form loses its body, and with it the CSRF token; the
        # token travels on as the X-CSRFToken header, which Flask-WTF reads.
        self.token_field = token_field

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            self.override(environ)
        return self.app(environ, start_response)

    def override(self, environ: WSGIEnvironment) -> None:
        form: dict[str, str] = {}
        method = environ.get("HTTP_X_HTTP_METHOD_OVERRIDE")
        if method is None:
            form = self.read_form(environ)
            method = form.get(self.form_field)
        if method not in ALLOWED_METHODS:
            return  # absent, unknown or not allowed: the request stays a POST
        environ[ORIGINAL_METHOD_KEY] = environ["REQUEST_METHOD"]
        environ["REQUEST_METHOD"] = method
        if method in BODYLESS_METHODS:
            token = form.get(self.token_field)
            if token and "HTTP_X_CSRFTOKEN" not in environ:
                environ["HTTP_X_CSRFTOKEN"] = token
            environ["wsgi.input"] = io.BytesIO()
            environ["CONTENT_LENGTH"] = "0"
            environ.pop("CONTENT_TYPE", None)

    def read_form(self, environ: WSGIEnvironment) -> dict[str, str]:
        """The fields of a small urlencoded body, which is put back for the app.

        Multipart bodies (file uploads) are not read here: they can be large,
        and a client sending one can set the header instead.
        """
        mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        length = environ.get("CONTENT_LENGTH", "")
        if mimetype != "application/x-www-form-urlencoded" or not (
            length.isascii() and length.isdigit()  # no "-1", "1_0" or "²"
        ):
            return {}
        if int(length) > self.max_form_size:
            return {}  # more than a form needs: it stays a POST
        try:
            body: bytes = environ["wsgi.input"].read(int(length))
        except OSError:  # a body the server cannot read names no method
            return {}
        environ["wsgi.input"] = io.BytesIO(body)  # the app reads the same bytes
        return dict(parse_qsl(body.decode("utf-8", "replace")))
