"""The upload folder: safe names, complete writes within its caps, and pages of
what is stored."""

from __future__ import annotations

import fcntl
import math
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from datetime import UTC
from pathlib import Path

from flask import current_app
from jinja2.filters import do_filesizeformat
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

# Served as attachments (see views.download), so even .html and .svg, which
# could run script if a browser showed them inline, are safe to accept.
ALLOWED_EXTENSIONS = frozenset(
    {"txt", "pdf", "png", "jpg", "jpeg", "gif", "svg", "html"}
)
STEM_MAX = 100  # characters kept of a name: file systems stop at 255 bytes
# "<32 hex digits>-<name>": every stored name, and nothing else (no partial
# ".partial-..." file, no path) can be listed, counted or downloaded.
STORED_NAME = re.compile(r"[0-9a-f]{32}-[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Upload:
    stored: str  # the unique name on disk, and in the download URL
    name: str  # the name shown, and offered to the browser when downloading
    size: int
    uploaded: datetime


@dataclass(frozen=True)
class Page:
    uploads: list[Upload]
    number: int
    count: int  # how many pages the uploads fill: 1 when there are none


class StoreFull(Exception):
    """The upload would take the folder past UPLOAD_MAX_FILES or UPLOAD_MAX_BYTES."""


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def safe_name(filename: str) -> str | None:
    """The name to keep for an upload, or None if its extension is not allowed.

    secure_filename() keeps ASCII letters, digits, "_", "-" and "." and drops
    any directory: "../../evil.txt" becomes "evil.txt". A name with nothing
    left ("文件.txt") becomes "upload.txt".
    """
    stem, dot, extension = filename.rpartition(".")
    extension = extension.lower()
    if not dot or extension not in ALLOWED_EXTENSIONS:
        return None
    stem = secure_filename(stem)[:STEM_MAX].rstrip("._") or "upload"
    return f"{stem}.{extension}"


def save(file: FileStorage, name: str) -> Upload:
    """Store the file under a new unique name, so no upload replaces another,
    or raise StoreFull and store nothing."""
    folder = upload_folder()
    # Write under a hidden temporary name, then rename: the list never shows
    # half a file, and a write that fails (disk full) leaves nothing behind.
    fd, partial = tempfile.mkstemp(dir=folder, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as out:
            file.save(out)
            size = out.tell()
        # Only the check and the rename are locked: a slow write holds up no one.
        with _locked(folder):
            _check_room(folder, size)
            # The upload time first, so that sorting names sorts uploads (see
            # page_of_uploads), then 64 random bits: never the same name twice.
            stored = f"{time.time_ns():016x}{secrets.token_hex(8)}-{name}"
            os.replace(partial, folder / stored)
    except BaseException:
        os.unlink(partial)
        raise
    return _upload(folder / stored)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the folder while it is measured and written to.

    Without it, two uploads could both see room for one more file, and both
    be stored. flock() on the folder itself is shared by every thread (each
    opens the folder anew) and every gunicorn worker process that stores here.
    """
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # which releases the lock


def _check_room(folder: Path, size: int) -> None:
    """Raise StoreFull unless one more file of this size fits in the caps."""
    max_files = current_app.config["UPLOAD_MAX_FILES"]
    max_bytes = current_app.config["UPLOAD_MAX_BYTES"]
    stored = list(_complete(folder))
    if len(stored) >= max_files:
        raise StoreFull(f"The file drop is full: it keeps at most {max_files} files.")
    free = max_bytes - sum(entry.stat().st_size for entry in stored)
    if size > free:
        raise StoreFull(
            f"The file drop is full: this file is {_bytes(size)}, and only "
            f"{_bytes(max(free, 0))} of the drop's {_bytes(max_bytes)} are free."
        )


def _bytes(size: int) -> str:
    return do_filesizeformat(size, binary=True)


def _upload(path: Path) -> Upload:
    stat = path.stat()
    return Upload(
        stored=path.name,
        name=path.name.partition("-")[2],
        size=stat.st_size,
        uploaded=datetime.fromtimestamp(stat.st_mtime, UTC),
    )


def find(stored: str) -> Upload | None:
    """The upload stored under this name, or None for any other name."""
    if not STORED_NAME.fullmatch(stored):
        return None
    path = upload_folder() / stored
    return _upload(path) if path.is_file() and not path.is_symlink() else None


def page_of_uploads(number: int, per_page: int) -> Page | None:
    """One page of the complete uploads, newest first; None if there is no such
    page. A stored name starts with its upload time, so the folder's listing
    orders the uploads: only the files on the page are stat()ed."""
    folder = upload_folder()
    names = sorted((entry.name for entry in _complete(folder)), reverse=True)
    count = max(1, math.ceil(len(names) / per_page))
    if not 1 <= number <= count:
        return None
    start = (number - 1) * per_page
    uploads = [_upload(folder / name) for name in names[start : start + per_page]]
    return Page(uploads, number, count)


def _complete(folder: Path) -> Iterator[os.DirEntry[str]]:
    """The folder's complete uploads, with no stat() of each one."""
    for entry in os.scandir(folder):
        if STORED_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            yield entry
