"""The API: every POST must carry a Content-Digest that matches its body.

`/api/echo` reads the body the way its Content-Type says (JSON, form,
multipart or raw bytes) and reports what arrived; `/api/files` stores a raw
body under its SHA-256, only once the digest checks out and while the store
has room; `/api/discard` reads nothing, and the body is checked all the same.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import abort
from flask import Blueprint
from flask import current_app
from flask import request
from flask import send_from_directory
from flask import url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest

from .checksum import CHUNK_SIZE
from .checksum import digest_required
from .checksum import format_digest
from .checksum import verify_content_digest

bp = Blueprint("api", __name__, url_prefix="/api")

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def files_folder() -> Path:
    return Path(current_app.config["FILES_FOLDER"])


def stored_files() -> list[Path]:
    folder = files_folder()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if SHA256_HEX.fullmatch(p.name))


@contextmanager
def store_lock(folder: Path) -> Iterator[None]:
    """Hold the store's lock, which every thread and every worker process
    (gunicorn's) waits for in turn: an exclusive flock on the folder itself."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # and with it the lock


def require_room(size: int = 0) -> None:
    """409 unless the store can take one more file, of `size` bytes."""
    config = current_app.config
    files = stored_files()
    if len(files) >= config["FILES_MAX"]:
        abort(409, f"The store is full: {config['FILES_MAX']} files at most.")
    if sum(path.stat().st_size for path in files) + size > config["FILES_MAX_BYTES"]:
        abort(409, f"The store is full: {config['FILES_MAX_BYTES']} bytes at most.")


def read_raw() -> int:
    """Read the body in chunks, as a view streaming it somewhere would; its size."""
    size = 0
    while chunk := request.stream.read(CHUNK_SIZE):
        size += len(chunk)
    return size


def read_json() -> Any:
    try:
        return request.get_json()
    except (BadRequest, RecursionError):  # not JSON, or nested too deep to parse
        # FiniteJSONProvider makes NaN, Infinity and 1e999 a BadRequest too.
        abort(400, "The body is not valid JSON, or has a number too large for a float.")


def describe_files() -> list[dict[str, Any]]:
    described = []
    for field, file in request.files.items(multi=True):
        size = file.stream.seek(0, os.SEEK_END)  # spooled by Werkzeug: no read
        described.append({"field": field, "filename": file.filename, "size": size})
    return described


@bp.post("/echo")
@digest_required
def echo() -> ResponseReturnValue:
    """Read the body as its Content-Type says, then report it with its digest."""
    report: dict[str, Any]
    if request.is_json:
        report = {"kind": "json", "json": read_json()}
    elif request.mimetype in FORM_TYPES:
        if None in request.form or None in request.files:
            # Werkzeug files a part with no name under the key None
            # (pallets/werkzeug#3032): no field to report it under.
            abort(400, "Every part of a multipart form needs a name.")
        report = {
            "kind": "form" if request.mimetype.endswith("urlencoded") else "multipart",
            "form": request.form.to_dict(flat=False),
            "files": describe_files(),
        }
    else:
        report = {"kind": "raw", "size": read_raw()}
    report["content_digest"] = format_digest(verify_content_digest())
    return report


@bp.post("/files")
@digest_required
def store() -> ResponseReturnValue:
    """Store a raw body under its SHA-256 name, and only if it matches its digest."""
    if request.mimetype in FORM_TYPES:
        abort(415, "Send the file itself as the body, e.g. application/octet-stream.")
    require_room()  # full already: say so before reading the body
    folder = files_folder()
    folder.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name first: a body that fails its check, or a
    # client that goes away half-way, leaves no file behind.
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            while chunk := request.stream.read(CHUNK_SIZE):
                file.write(chunk)
            size = file.tell()
        sha256 = verify_content_digest()
        name = sha256.hex()
        # Checked again and added as one step, under the lock: uploads read
        # at the same time all passed the check before reading.
        with store_lock(folder):
            require_room(size)
            os.replace(temporary, folder / name)  # the same name, the same bytes
    except BaseException:
        os.unlink(temporary)
        raise
    location = url_for("api.download", name=name)
    body = {"content_digest": format_digest(sha256), "name": name, "url": location}
    return body, 201, {"Location": location}


@bp.get("/files/<name>")
def download(name: str) -> ResponseReturnValue:
    """A stored file, with Repr-Digest: the SHA-256 its name already is."""
    if not SHA256_HEX.fullmatch(name):
        abort(404, "There is no such file: names are 64 hex digits.")
    response = send_from_directory(
        files_folder(), name, mimetype="application/octet-stream"
    )
    # Repr-Digest, not Content-Digest: it holds for the whole file, also when
    # a Range request gets only part of it.
    response.headers["Repr-Digest"] = format_digest(bytes.fromhex(name))
    return response


@bp.post("/discard")
@digest_required
def discard() -> ResponseReturnValue:
    """Read nothing: digest_required still drains the body and checks it."""
    return "", 204
