"""Request content checksums: hash the body with SHA-256 while Flask reads it.

`DigestRequest.stream` feeds every byte that anything reads (form and file
parsing, `get_json()`, a view's own `request.stream.read()`) through a SHA-256
hash on its way past, keeping no copy of the body. `digest_required` compares
the result with the client's `Content-Digest` header (RFC 9530).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import io
import re
from collections.abc import Callable
from typing import Any
from typing import cast
from typing import IO

from flask import abort
from flask import Request
from flask import request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest
from werkzeug.utils import cached_property

CHUNK_SIZE = 64 * 1024  # how much is read at a time from a body nobody read
FORMAT = "sha-256=:<base64 of the SHA-256 of the body>: (RFC 9530)"
# One member of the Content-Digest dictionary: an algorithm and a byte sequence.
MEMBER = re.compile(r"[ \t]*([a-z*][a-z0-9_.*-]*)=:([A-Za-z0-9+/]*={0,2}):[ \t]*")


class HashingStream(io.RawIOBase):
    """A read-only stream that hashes everything read through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    # Every way of reading passes through one of these two, exactly once:
    # RawIOBase builds readall() and readline() on read(). Neither copies the
    # body on its way past: each copy costs a tenth of the hashing speed.

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)  # handed on as the stream made it
        self.sha256.update(data)
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if isinstance(self.stream, io.RawIOBase | io.BufferedIOBase):
            count = self.stream.readinto(view) or 0  # straight into the buffer
        else:  # a server's own input has only read() (WSGI asks no more)
            data = self.stream.read(len(view))
            count = len(data)
            view[:count] = data
        self.sha256.update(view[:count])
        return count


class DigestRequest(Request):
    """A request whose body is hashed as it is read. Set as `app.request_class`."""

    @cached_property
    def stream(self) -> IO[bytes]:
        # Wrapped the first time anything asks for the body, so nothing, not
        # even a before_request hook that reads request.form, can read past
        # the hash. super().stream is Werkzeug's own stream, which stops at
        # Content-Length and at MAX_CONTENT_LENGTH (413).
        return cast(IO[bytes], HashingStream(super().stream))

    def body_sha256(self) -> bytes:
        """The SHA-256 of the whole body, reading (and hashing) what is left first."""
        stream = cast(HashingStream, self.stream)
        buffer = bytearray(CHUNK_SIZE)  # one buffer, reused: nothing is kept
        while stream.readinto(buffer):
            pass
        return stream.sha256.digest()


def format_digest(digest: bytes) -> str:
    """A SHA-256 as a Content-Digest value: sha-256=:<base64>:."""
    return f"sha-256=:{base64.b64encode(digest).decode()}:"


def expected_sha256() -> bytes:
    """The sha-256 digest the client sent in Content-Digest; 400 if there is none."""
    header = request.headers.get("Content-Digest")
    if header is None:
        abort(400, f"Send a Content-Digest header: {FORMAT}.")
    digests = {}
    for member in header.split(","):
        match = MEMBER.fullmatch(member)
        try:
            if match is None:
                raise ValueError(member)
            digests[match[1]] = base64.b64decode(match[2], validate=True)
        except (ValueError, binascii.Error):
            abort(400, f"The Content-Digest header is malformed. Send {FORMAT}.")
    if "sha-256" not in digests:  # a client may send others too, e.g. sha-512
        abort(400, f"The Content-Digest header has no sha-256 digest. Send {FORMAT}.")
    if len(digests["sha-256"]) != hashlib.sha256().digest_size:
        abort(400, f"The sha-256 digest is not 32 bytes long. Send {FORMAT}.")
    return digests["sha-256"]


def verify_content_digest() -> bytes:
    """Check the whole body against Content-Digest; 400 if they differ.

    Call it after reading the body and before acting on it. Returns the
    body's SHA-256.
    """
    expected = expected_sha256()
    actual = cast(DigestRequest, request).body_sha256()
    # compare_digest takes as long wherever the first difference is, so the
    # answer's timing tells nobody how much of a forged digest was right.
    if not hmac.compare_digest(actual, expected):
        abort(
            400,
            "The body does not match its Content-Digest: "
            f"the body that arrived has {format_digest(actual)}",
        )
    return actual


def digest_required(
    view: Callable[..., ResponseReturnValue],
) -> Callable[..., ResponseReturnValue]:
    """Refuse a request whose body does not match its Content-Digest header.

    The view reads the body as it likes and calls verify_content_digest()
    before acting on it. Whatever the view does, the body is checked again
    when it returns, so a body that nothing read is still drained and checked.
    """

    @functools.wraps(view)
    def checked_view(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        request.stream  # noqa: B018 - a body over MAX_CONTENT_LENGTH: 413 first
        expected_sha256()  # a missing or malformed header: 400 before any work
        try:
            response = view(*args, **kwargs)
        except BadRequest:
            # A body damaged on the way explains a parse error better than the
            # parser's own message does.
            verify_content_digest()
            raise
        verify_content_digest()
        return response

    return checked_view
