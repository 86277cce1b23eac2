"""Malformed chunked bodies under gunicorn.

Every example that takes a body is served by gunicorn as deployed (a secret,
CSRF on, two worker processes). Each route that takes a body gets each chunk
framing gunicorn refuses (a size of `+0`, `0x0` or `-0`, a chunk cut short),
sent as a form, as multipart and as JSON. gunicorn raises its own errors
from inside the app's read of the body, and Flask alone answers them with a
500 and a logged traceback.

Figures: requests sent, 5xx answers (0), connections dropped (0), tracebacks
in the server's log (0).
"""

from __future__ import annotations

import secrets

from . import all_of
from . import at_least
from . import at_most
from . import environment
from . import Figure
from . import private_instance_folders
from .client import raw
from .servers import Gunicorn
from .targets import discover

NAME = "Malformed chunked bodies under gunicorn"
BAD_CHUNKS = [b"+0\r\n\r\n", b"0x0\r\n\r\n", b"-0\r\n\r\n", b"5\r\nab"]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=B",
    "application/json",
]
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def run(short: bool = False) -> list[Figure]:
    secret = secrets.token_hex()
    sent = errors = dropped = 0
    # REDIS_URL points nowhere: the body is read, and refused, before any view
    # would reach Redis.
    with (
        private_instance_folders() as root,
        environment(FLASK_SECRET_KEY=secret, REDIS_URL="redis://127.0.0.1:1/0"),
    ):
        targets = [
            (target.prefix, route.fill(["1"] * len(route.arguments)), method)
            for target in discover({"SECRET_KEY": secret})
            if target.prefix
            for route in target.routes
            for method in sorted(BODY_METHODS & set(route.methods))
        ]
        folders = sorted({prefix.lstrip("/") for prefix, _, _ in targets})
        print(f"{NAME}: {len(targets)} routes of {len(folders)} examples")
        types = CONTENT_TYPES[:1] if short else CONTENT_TYPES
        with Gunicorn(folders, root, secret, workers=2) as server:
            for prefix, path, method in targets:
                for content_type in types:
                    for chunk in BAD_CHUNKS:
                        head = (
                            f"{method} {prefix}{path} HTTP/1.1\r\n"
                            f"Host: 127.0.0.1:{server.port}\r\n"
                            f"Content-Type: {content_type}\r\n"
                            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                        )
                        answer = raw(server.port, head.encode() + chunk)
                        sent += 1
                        dropped += answer.dropped
                        if answer.status >= 500:
                            errors += 1
                            print(f"  ! {answer.status} for {method} {prefix}{path}")
            tracebacks = server.output().count("Traceback")
    return [
        at_least("requests sent", sent, 1),
        all_of("examples that take a body, served", len(folders), len(folders)),
        at_most("5xx answers", errors),
        at_most("connections dropped", dropped),
        at_most("tracebacks in the server's log", tracebacks),
    ]
