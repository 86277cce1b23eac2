"""Subclassing Flask: the app's own request, response and JSON classes.

`LedgerFlask` names them as class attributes, so every request, response and
JSON document of the app gets them, including those made by Flask itself
(redirects, error pages, static files).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date
from datetime import time
from decimal import Decimal
from enum import Enum
from typing import Any
from typing import cast
from typing import ClassVar

from flask import Flask
from flask import Request
from flask import request
from flask import Response
from flask.json.provider import DefaultJSONProvider
from werkzeug.utils import cached_property

# What a request id may look like: enough for a UUID or a proxy's trace id,
# too little for log injection or a header full of junk.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class LedgerRequest(Request):
    @cached_property
    def request_id(self) -> str:
        """The X-Request-ID sent by a client or proxy if it is a plain token, else new.

        One id follows a request through the proxy, the app and its logs.
        """
        given = self.headers.get("X-Request-ID", "")
        return given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


class SecureResponse(Response):
    """A response with security headers, unless whoever makes it sets its own."""

    security_headers: ClassVar[Mapping[str, str]] = {
        "X-Content-Type-Options": "nosniff",  # a file is never run as a script
        "Referrer-Policy": "same-origin",  # our URLs stay with us
        # Scripts only from this site; no framing (clickjacking), no <base>
        # or form target that sends users elsewhere.
        "Content-Security-Policy": (
            "script-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, value in self.security_headers.items():
            self.headers.setdefault(name, value)


class LedgerJSONProvider(DefaultJSONProvider):
    ensure_ascii = False  # "Zürich", not "Z\u00fcrich": JSON is UTF-8 anyway

    @staticmethod
    def default(o: Any) -> Any:
        # ISO 8601 ("2024-05-01T09:30:00+00:00") instead of Flask's HTTP date
        # ("Wed, 01 May 2024 09:30:00 GMT"), which drops the offset and
        # makes a date a midnight.
        if isinstance(o, date | time):
            return o.isoformat()
        if isinstance(o, Enum):
            return o.value
        return DefaultJSONProvider.default(o)  # Decimal as a string, UUIDs, ...

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        # 19.99 is a Decimal, exactly: a float would be 19.989999999999998...
        kwargs.setdefault("parse_float", Decimal)
        return super().loads(s, **kwargs)


class LedgerFlask(Flask):
    request_class = LedgerRequest
    response_class = SecureResponse
    json_provider_class = LedgerJSONProvider

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every response, error pages included, names the request it answers.
        # A hook the class registers, not an override of process_response:
        # Flask 3.2 changes that method's signature (the app context first).
        self.after_request(echo_request_id)


def echo_request_id(response: Response) -> Response:
    response.headers["X-Request-ID"] = cast(LedgerRequest, request).request_id
    return response
