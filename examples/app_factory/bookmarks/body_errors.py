"""A request body the server cannot decode is the client's error: a 400."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import IO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wsgiref.types import StartResponse
    from wsgiref.types import WSGIApplication
    from wsgiref.types import WSGIEnvironment


class BodyErrorsAreBadRequests:
    """WSGI middleware: wraps the server's input stream in a `ServerInput`.

    Werkzeug answers a failed body read with a 400 when the read raises
    OSError. gunicorn raises errors of its own from inside the read when a
    chunked body is malformed (a chunk size of `+0`, `0x0`, `-0`), and Flask
    would answer those with a 500.
    """

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        environ["wsgi.input"] = ServerInput(environ["wsgi.input"])
        return self.wsgi_app(environ, start_response)


class ServerInput(io.RawIOBase):
    """The server's input stream, where every failure to read is an OSError."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data = self.stream.read(len(buffer))
        except Exception as error:  # e.g. gunicorn's InvalidChunkSize
            raise OSError from error  # Werkzeug answers it with its own 400
        buffer[: len(data)] = data
        return len(data)
