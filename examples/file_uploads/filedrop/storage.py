"""The upload folder: safe names, complete writes, and the list of what is stored."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from datetime import UTC
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

# Served as attachments (see views.download), so even .html and .svg, which
# could run script if a browser showed them inline, are safe to accept.
ALLOWED_EXTENSIONS = frozenset(
    {"txt", "pdf", "png", "jpg", "jpeg", "gif", "svg", "html"}
)
STEM_MAX = 100  # characters kept of a name: file systems stop at 255 bytes
# "<32 hex digits>-<name>": every stored name, and nothing else (no partial
# ".partial-..." file, no path) can be listed or downloaded.
STORED_NAME = re.compile(r"[0-9a-f]{32}-[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Upload:
    stored: str  # the unique name on disk, and in the download URL
    name: str  # the name shown, and offered to the browser when downloading
    size: int
    uploaded: datetime


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
    """Store the file under a new unique name, so no upload replaces another."""
    folder = upload_folder()
    stored = f"{uuid.uuid4().hex}-{name}"  # 122 random bits: never the same twice
    # Write under a hidden temporary name, then rename: the list never shows
    # half a file, and a write that fails (disk full) leaves nothing behind.
    fd, partial = tempfile.mkstemp(dir=folder, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as out:
            file.save(out)
        os.replace(partial, folder / stored)
    except BaseException:
        os.unlink(partial)
        raise
    return _upload(folder / stored)


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


def list_uploads() -> list[Upload]:
    """Every complete upload, newest first."""
    uploads = [
        _upload(upload_folder() / entry.name)
        for entry in os.scandir(upload_folder())
        if STORED_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
    ]
    return sorted(uploads, key=lambda upload: upload.uploaded, reverse=True)
