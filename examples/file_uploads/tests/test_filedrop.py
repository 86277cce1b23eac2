"""Uploading files: checks on the form, safe names, limits and safe serving."""

from __future__ import annotations

import errno
import gc
import io
import json
import os
import re
import sys
import threading
from collections.abc import Callable
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextlib import ExitStack
from pathlib import Path
from subprocess import PIPE
from subprocess import Popen
from typing import Any

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect
from playwright.sync_api import Page
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.test import encode_multipart
from werkzeug.test import TestResponse

from filedrop import create_app
from filedrop import MISSING_KEY
from filedrop import storage

MiB = 1024 * 1024


@pytest.fixture
def uploads(config: dict[str, object]) -> Path:
    """The test's upload folder (see conftest.py); the app creates it."""
    return Path(str(config["UPLOAD_FOLDER"]))


def upload(
    client: FlaskClient, filename: str, content: bytes = b"hello", **fields: str
) -> TestResponse:
    """Post the form as a browser would, with the body built in memory: the
    test client spools a body over 500 KB to a file it never closes."""
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(content), filename), **fields}
    )
    return client.post(
        "/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def stored(folder: Path) -> dict[str, bytes]:
    """Every file in the upload folder, hidden ones included, by name."""
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def download(client: FlaskClient, url: str) -> bytes:
    r = client.get(url)
    with r:  # closes the file it sends
        assert r.status_code == 200, r.text
        return r.get_data()


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    field = BeautifulSoup(html, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert isinstance(field, Tag), "the page has no csrf_token field"
    token = field.get("value")
    assert isinstance(token, str) and token, "the csrf_token field is empty"
    return token


def listed(client: FlaskClient) -> dict[str, str]:
    """The upload list on the page: the name shown, and where its link goes."""
    soup = BeautifulSoup(client.get("/").text, "html.parser")
    return {a.text: str(a["href"]) for a in soup.select("#uploads + table a")}


# --- Uploading --------------------------------------------------------------


def test_upload_form_posts_multipart_to_itself_with_the_allowed_types(
    client: FlaskClient,
) -> None:
    r = client.get("/")
    assert r.status_code == 200, r.text
    form = BeautifulSoup(r.text, "html.parser").select_one("form[data-upload]")
    assert form is not None
    assert form["enctype"] == "multipart/form-data"
    assert form["action"] == "/"
    assert form["data-max-bytes"] == str(10 * MiB)
    field = form.select_one("input[type=file][name=file]")
    assert field is not None
    assert field["accept"] == ".gif,.html,.jpeg,.jpg,.pdf,.png,.svg,.txt"
    assert form.select_one("progress") is not None
    assert "Nothing uploaded yet." in r.text


def test_upload_is_stored_in_the_instance_folder_and_listed(
    client: FlaskClient, uploads: Path
) -> None:
    r = upload(client, "report.pdf", b"%PDF-1.7 ...")
    assert r.status_code == 303, r.text
    assert r.headers["Location"] == "/"
    [(name, content)] = stored(uploads).items()
    assert re.fullmatch(r"[0-9a-f]{32}-report\.pdf", name)
    assert content == b"%PDF-1.7 ..."
    # The flash is kept in the session cookie, sent only on same-site requests.
    assert "SameSite=Lax" in r.headers["Set-Cookie"]
    page = client.get("/").text
    assert "Uploaded “report.pdf”." in page
    assert listed(client) == {"report.pdf": f"/files/{name}"}


def test_two_uploads_of_the_same_name_are_both_kept(
    client: FlaskClient, uploads: Path
) -> None:
    assert upload(client, "notes.txt", b"first").status_code == 303
    assert upload(client, "notes.txt", b"second").status_code == 303
    assert sorted(stored(uploads).values()) == [b"first", b"second"]
    soup = BeautifulSoup(client.get("/").text, "html.parser")
    links = soup.select("#uploads + table a")
    assert [a.text for a in links] == ["notes.txt", "notes.txt"]
    assert {download(client, str(a["href"])) for a in links} == {b"first", b"second"}


def test_uploads_are_still_listed_when_the_app_starts_again(
    config: dict[str, object],
) -> None:
    assert upload(create_app(config).test_client(), "notes.txt").status_code == 303
    assert list(listed(create_app(config).test_client())) == ["notes.txt"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "The form sent no file."),
        ({"file": "report.pdf"}, "The form sent no file."),  # no enctype
        # (content, filename): a file part, built afresh by each test
        ({"file": (b"", "")}, "Choose a file to upload."),
        ({"file": (b"MZ", "setup.exe")}, "Only these kinds of file"),
        ({"file": (b"<?php", "shell.php")}, "Only these kinds of file"),
        ({"file": (b"x", "archive.txt.gz")}, "Only these kinds of file"),
        ({"file": (b"x", "README")}, "Only these kinds of file"),
        ({"file": (b"x", "txt")}, "Only these kinds of file"),
    ],
    ids=[
        "missing-part",
        "text-field-not-file",
        "empty-filename",
        "exe",
        "php",
        "double-extension",
        "no-extension",
        "extension-only-name",
    ],
)
def test_bad_uploads_are_refused_with_400_and_nothing_stored(
    client: FlaskClient,
    uploads: Path,
    data: dict[str, str | tuple[bytes, str]],
    message: str,
) -> None:
    form = {
        key: (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
        for key, value in data.items()
    }
    r = client.post("/", data=form)
    assert r.status_code == 400, r.text
    error = BeautifulSoup(r.text, "html.parser").select_one("form .error")
    assert error is not None
    assert error.text.startswith(message)
    assert stored(uploads) == {}


def test_refusal_names_the_allowed_types(client: FlaskClient) -> None:
    r = upload(client, "setup.exe")
    assert r.status_code == 400, r.text
    assert (
        "Only these kinds of file can be uploaded: "
        ".gif, .html, .jpeg, .jpg, .pdf, .png, .svg, .txt." in r.text
    )


@pytest.mark.parametrize(
    ("filename", "kept_as"),
    [
        ("../../evil.txt", "evil.txt"),
        ("..\\..\\evil.txt", "evil.txt"),
        ("/etc/cron.d/job.txt", "etc_cron.d_job.txt"),
        ("../.bashrc.txt", "bashrc.txt"),
        ("Photo 2024.JPG", "Photo_2024.jpg"),
        ("My résumé.pdf", "My_resume.pdf"),
        ("文件.txt", "upload.txt"),
        ("...txt", "upload.txt"),
        ("my-notes.txt", "my-notes.txt"),  # shown after the first "-" only
        ("TAX..txt", "TAX.txt"),
        # Cut at STEM_MAX: no "_" or "." left at the end of the stem.
        ("a" * 99 + "_b.txt", "a" * 99 + ".txt"),
        ("evil.html\x00.txt", "evil.html.txt"),
        ("a" * 1000 + ".txt", "a" * storage.STEM_MAX + ".txt"),
    ],
)
def test_filenames_are_made_safe_and_nothing_is_written_outside_the_folder(
    client: FlaskClient, tmp_path: Path, uploads: Path, filename: str, kept_as: str
) -> None:
    before = {path for path in tmp_path.rglob("*") if path.is_file()}
    r = upload(client, filename, b"payload")
    assert r.status_code == 303, r.text
    written = {path for path in tmp_path.rglob("*") if path.is_file()} - before
    [path] = written
    assert path.parent == uploads
    assert path.name.partition("-")[2] == kept_as
    assert path.read_bytes() == b"payload"
    assert list(listed(client)) == [kept_as]


# --- The list, a page at a time -------------------------------------------------


def a_page(client: Client, url: str) -> tuple[list[str], str, dict[str, str]]:
    """What a page of the list shows: the names, "Page n of m", and where its
    rel=prev and rel=next links go."""
    r = client.get(url)
    assert r.status_code == 200, r.text
    soup = BeautifulSoup(r.text, "html.parser")
    names = [a.text for a in soup.select("#uploads + table a")]
    pager = soup.select_one("nav[aria-label='Pages of uploads']")
    assert pager is not None, "the page has no links to the other pages"
    links = {str(a["rel"][0]): str(a["href"]) for a in pager.select("a")}
    return names, " ".join(pager.stripped_strings), links


@pytest.mark.parametrize("prefix", ["", "/mounted"])
def test_the_list_shows_a_page_of_the_newest_uploads_and_links_to_the_others(
    config: dict[str, object], prefix: str
) -> None:
    app = create_app({**config, "UPLOADS_PER_PAGE": 2})
    for name in ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"]:
        assert upload(app.test_client(), name).status_code == 303
    wsgi = DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app
    client = Client(wsgi)

    first = a_page(client, f"{prefix}/")
    assert first == (
        ["e.txt", "d.txt"],
        "Page 1 of 3 Older",
        {"next": f"{prefix}/?page=2#uploads"},
    )
    second = a_page(client, first[2]["next"])
    assert second == (
        ["c.txt", "b.txt"],
        "Newer Page 2 of 3 Older",
        {"prev": f"{prefix}/?page=1#uploads", "next": f"{prefix}/?page=3#uploads"},
    )
    last = a_page(client, second[2]["next"])
    assert last == (
        ["a.txt"],
        "Newer Page 3 of 3",
        {"prev": f"{prefix}/?page=2#uploads"},
    )
    assert a_page(client, last[2]["prev"]) == second
    assert a_page(client, f"{prefix}/?page=000000002") == second  # 9 digits


def test_the_list_shows_20_uploads_a_page(client: FlaskClient, uploads: Path) -> None:
    for n in range(21):
        (uploads / f"{n:032x}-f{n}.txt").write_bytes(b"abc")
    names, pager, _ = a_page(client, "/")
    assert names == [f"f{n}.txt" for n in range(20, 0, -1)]
    assert pager == "Page 1 of 2 Older"


def test_the_list_shows_each_uploads_size_and_time_in_utc(
    client: FlaskClient, uploads: Path
) -> None:
    assert upload(client, "notes.txt", b"x" * 2048).status_code == 303
    [path] = uploads.iterdir()
    os.utime(path, (1_700_000_000, 1_700_000_000))  # 2023-11-14 22:13:20 UTC
    soup = BeautifulSoup(client.get("/").text, "html.parser")
    [row] = soup.select("#uploads + table tbody tr")
    assert [td.text for td in row.select("td")] == [
        "notes.txt",
        "2.0 KiB",
        "2023-11-14 22:13 UTC",
    ]
    time = row.select_one("time")
    assert time is not None
    assert time["datetime"] == "2023-11-14T22:13:20+00:00"


@pytest.mark.parametrize(
    ("uploaded", "number"),
    [
        (0, "2"),
        (5, "4"),
        (5, "0"),
        (5, "-1"),
        (5, "two"),
        (5, "1.5"),
        (5, "\u0661"),  # ARABIC-INDIC DIGIT ONE: a digit, but not ASCII
        (5, "0000000001"),  # 10 digits: more than a page number has
        (5, "9" * 5000),
    ],
    ids=[
        "empty",
        "past",
        "zero",
        "negative",
        "word",
        "decimal",
        "arabic-one",
        "ten-digits",
        "huge",
    ],
)
def test_a_page_past_the_list_is_a_404_page(
    config: dict[str, object], uploaded: int, number: str
) -> None:
    client = create_app({**config, "UPLOADS_PER_PAGE": 2}).test_client()
    for _ in range(uploaded):
        assert upload(client, "notes.txt").status_code == 303
    r = client.get(f"/?page={number}")
    assert r.status_code == 404, r.text
    assert error_page(r) == ("404 Not Found", "There is no such page of uploads.")
    assert "Back to the uploads" in r.text


# --- Serving uploads back ------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "mimetype"),
    [
        ("page.html", b"<script>alert(document.cookie)</script>", "text/html"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "image/svg+xml",
        ),
        ("plain.txt", b"<script>alert(1)</script>", "text/plain"),
    ],
)
def test_downloads_are_attachments_that_cannot_run_script(
    client: FlaskClient, filename: str, content: bytes, mimetype: str
) -> None:
    upload(client, filename, content)
    r = client.get(listed(client)[filename])
    with r:  # closes the file it sends
        assert r.status_code == 200, r.text
        assert r.data == content
        assert r.mimetype == mimetype
        assert r.headers["Content-Disposition"] == f"attachment; filename={filename}"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize(
    "name",
    [
        "0123456789abcdef0123456789abcdef-missing.txt",
        "missing.txt",
        ".partial-abc",
        "..",
        "0123456789ABCDEF0123456789ABCDEF-x.txt",
    ],
)
def test_unknown_upload_is_a_404_page(client: FlaskClient, name: str) -> None:
    r = client.get(f"/files/{name}")
    assert r.status_code == 404, r.text
    assert error_page(r) == ("404 Not Found", "There is no upload by that name.")
    assert "Back to the uploads" in r.text


def test_a_path_in_the_download_url_is_a_404_page(client: FlaskClient) -> None:
    r = client.get("/files/..%2F..%2Fconfig.py")
    assert r.status_code == 404, r.text
    assert "Back to the uploads" in r.text


def test_a_symlink_in_the_folder_is_neither_listed_nor_served(
    client: FlaskClient, uploads: Path, tmp_path: Path
) -> None:
    """A link named like an upload, put there by someone else, could point at any
    file on the server."""
    (tmp_path / "secret.txt").write_bytes(b"secret")
    name = "0123456789abcdef0123456789abcdef-secret.txt"
    (uploads / name).symlink_to(tmp_path / "secret.txt")
    assert listed(client) == {}
    r = client.get(f"/files/{name}")
    assert r.status_code == 404, r.text
    assert error_page(r) == ("404 Not Found", "There is no upload by that name.")


def test_a_partial_file_is_neither_listed_nor_served(
    client: FlaskClient, uploads: Path
) -> None:
    (uploads / ".partial-abc123").write_bytes(b"half a fi")
    assert listed(client) == {}
    r = client.get("/files/.partial-abc123")
    assert r.status_code == 404, r.text


# --- Limits --------------------------------------------------------------------


# When a limit stops Werkzeug 3.1's parser in the middle of a file part, the
# SpooledTemporaryFile holding that part so far is left for the garbage
# collector to close (an unlinked temporary file: nothing stays on disk).
# The tests that hit that case collect it themselves and ignore only that
# warning, so that it is not reported in some later test.
werkzeug_leaves_the_spool_open = pytest.mark.filterwarnings(
    "ignore:Unclosed file <tempfile.SpooledTemporaryFile:ResourceWarning"
)


def assert_too_large(r: TestResponse, message: str) -> None:
    assert r.status_code == 413, r.text
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.select_one("header a") is not None  # the app's layout
    assert soup.select_one("main p") is not None
    assert soup.select_one("main p").text == message  # type: ignore[union-attr]


def form_of_size(size: int, **fields: str) -> tuple[bytes, bytes]:
    r"""A form body of exactly `size` bytes: the fields, then big.txt filling
    the rest; the body and the file's content. The file is "\r\n--" over and
    over, what Werkzeug's parser might take for the start of a boundary in
    every 64 KiB chunk it reads: the MAX_FORM_MEMORY_SIZE trap (see
    __init__.py)."""

    def body(content: bytes) -> bytes:
        file = FileStorage(io.BytesIO(content), "big.txt")
        return encode_multipart({**fields, "file": file}, boundary="limit")[1]

    length = size - (len(body(b"x")) - 1)  # an empty file is encoded apart
    content = (b"\r\n--" * (length // 4 + 1))[:length]
    return body(content), content


@werkzeug_leaves_the_spool_open
@pytest.mark.parametrize(
    ("size", "fields", "refusal"),
    [
        (10 * MiB, {}, None),
        (10 * MiB + 1, {}, "That file is too big: uploads can be up to 10.0 MiB."),
        # Within MAX_CONTENT_LENGTH, so the 413 is for another limit.
        (
            10 * MiB,
            {f"field{n}": "x" for n in range(10)},
            "That form sent more, or longer, fields than the upload form has.",
        ),
    ],
    ids=["at-the-limit", "one-byte-over", "at-the-limit-with-too-many-parts"],
)
def test_a_body_up_to_max_content_length_is_stored_and_one_byte_more_is_a_413(
    client: FlaskClient,
    uploads: Path,
    size: int,
    fields: dict[str, str],
    refusal: str | None,
) -> None:
    body, content = form_of_size(size, **fields)
    r = client.post("/", data=body, content_type="multipart/form-data; boundary=limit")
    assert r.request.content_length == size
    if refusal is None:
        assert r.status_code == 303, r.text
        assert list(stored(uploads).values()) == [content]
    else:
        assert_too_large(r, refusal)
        assert stored(uploads) == {}
    gc.collect()


@werkzeug_leaves_the_spool_open
def test_a_streamed_upload_without_content_length_is_cut_off_at_the_limit(
    client: FlaskClient, uploads: Path
) -> None:
    """A chunked body gives no Content-Length to check up front: the parser
    stops reading at MAX_CONTENT_LENGTH, and no partial file is left."""
    body = b"".join(
        [
            b"--limit\r\n",
            b'Content-Disposition: form-data; name="file"; filename="huge.txt"\r\n',
            b"\r\n",
            b"x" * (11 * MiB),
            b"\r\n--limit--\r\n",
        ]
    )
    r = client.post(
        "/",
        input_stream=io.BytesIO(body),
        content_type="multipart/form-data; boundary=limit",
        # A chunked body, as a server that decodes the chunks (Werkzeug's,
        # Gunicorn) passes it on: no length, and a stream that ends by itself.
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert r.request.content_length is None
    assert_too_large(r, "That file is too big: uploads can be up to 10.0 MiB.")
    assert stored(uploads) == {}
    gc.collect()  # the spool's warning (see above) belongs to this test


@werkzeug_leaves_the_spool_open
@pytest.mark.parametrize(
    ("extra", "refused"),
    [
        # The file and 9 fields: the 10 parts of MAX_FORM_PARTS.
        ({f"field{n}": "x" for n in range(9)}, False),
        ({f"field{n}": "x" for n in range(10)}, True),
        # A text field of MAX_FORM_MEMORY_SIZE (128 KiB).
        ({"comment": "x" * (128 * 1024)}, False),
        ({"comment": "x" * (128 * 1024 + 1)}, True),
    ],
    ids=["parts-at-the-limit", "one-part-more", "field-at-the-limit", "field-longer"],
)
def test_form_limits_take_a_form_at_the_limit_and_refuse_more_with_a_413(
    client: FlaskClient, uploads: Path, extra: dict[str, str], refused: bool
) -> None:
    r = upload(client, "hello.txt", b"hello", **extra)
    if refused:
        assert_too_large(
            r, "That form sent more, or longer, fields than the upload form has."
        )
        assert stored(uploads) == {}
    else:
        assert r.status_code == 303, r.text
        assert list(stored(uploads).values()) == [b"hello"]
    gc.collect()


def test_a_failed_write_leaves_no_partial_file(app: Flask, uploads: Path) -> None:
    while_written: list[str] = []

    class DiskFullHalfway(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell():
                while_written.extend(path.name for path in uploads.iterdir())
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().read(4)

    file = FileStorage(DiskFullHalfway(b"0123456789"), "notes.txt")
    with app.app_context(), pytest.raises(OSError, match="No space"):
        storage.save(file, "notes.txt")
    # Written under a hidden name in the folder itself, then removed.
    [partial] = while_written
    assert partial.startswith(".partial-")
    assert stored(uploads) == {}


# --- What the drop keeps in all ------------------------------------------------


@pytest.mark.parametrize(
    ("caps", "steps"),
    [
        (
            {"UPLOAD_MAX_FILES": 3},
            [
                (b"1", None),
                (b"2", None),
                (b"3", None),  # the third of 3: at the cap
                (b"4", "The file drop is full: it keeps at most 3 files."),
            ],
        ),
        (
            {"UPLOAD_MAX_BYTES": 10},
            [
                (b"123456", None),
                (
                    b"12345",
                    "The file drop is full: this file is 5 Bytes, "
                    "and only 4 Bytes of the drop's 10 Bytes are free.",
                ),
                (b"1234", None),  # 10 bytes in all: at the cap
                (
                    b"1",
                    "The file drop is full: this file is 1 Byte, "
                    "and only 0 Bytes of the drop's 10 Bytes are free.",
                ),
            ],
        ),
    ],
    ids=["files", "bytes"],
)
def test_the_drop_stores_up_to_its_caps_then_refuses_with_409_and_keeps_nothing(
    config: dict[str, object],
    uploads: Path,
    caps: dict[str, int],
    steps: list[tuple[bytes, str | None]],
) -> None:
    client = create_app({**config, **caps}).test_client()
    for content, refusal in steps:
        r = upload(client, "notes.txt", content)
        if refusal is None:
            assert r.status_code == 303, r.text
        else:
            assert r.status_code == 409, r.text
            error = BeautifulSoup(r.text, "html.parser").select_one("form .error")
            assert error is not None
            assert error.text == refusal
    # Nothing of a refused upload stays, not even a hidden partial file.
    kept = [content for content, refusal in steps if refusal is None]
    assert sorted(stored(uploads).values()) == sorted(kept)


@pytest.mark.parametrize(
    ("old_files", "old_size", "accepted", "refusal"),
    [
        # 999 files: room for one more.
        (999, 3, [b"1"], "The file drop is full: it keeps at most 1000 files."),
        # 1 GiB less 5 bytes: room for 5 more.
        (
            1,
            1024 * MiB - 5,
            [b"12345"],
            "The file drop is full: this file is 1 Byte, "
            "and only 0 Bytes of the drop's 1.0 GiB are free.",
        ),
        # Over the cap (it was lowered): no room, and not less than none.
        (
            1,
            1024 * MiB + 1,
            [],
            "The file drop is full: this file is 1 Byte, "
            "and only 0 Bytes of the drop's 1.0 GiB are free.",
        ),
    ],
    ids=["files", "bytes", "over"],
)
def test_the_drop_keeps_1000_files_and_1_gib_by_default(
    client: FlaskClient,
    uploads: Path,
    tmp_path: Path,
    old_files: int,
    old_size: int,
    accepted: list[bytes],
    refusal: str,
) -> None:
    # Sparse, and hard links to it: the sizes, with neither the disk space
    # nor the time to write them.
    old = tmp_path / "old"
    old.touch()
    os.truncate(old, old_size)
    for n in range(old_files):
        os.link(old, uploads / f"{n:032x}-old.txt")
    for content in accepted:
        r = upload(client, "notes.txt", content)
        assert r.status_code == 303, r.text
    r = upload(client, "notes.txt", b"1")
    assert r.status_code == 409, r.text
    error = BeautifulSoup(r.text, "html.parser").select_one("form .error")
    assert error is not None
    assert error.text == refusal
    # Counted, not read: a sparse GiB reads as a GiB of zeros.
    assert len(list(uploads.iterdir())) == old_files + len(accepted)


# The more files the drop holds, the longer it takes to count and measure them
# before it stores one more: the wider the gap that racing uploads would slip
# through, were the check and the write not held together.
OLD = 500


def fill_with_old_uploads(folder: Path) -> None:
    """OLD files of 3 bytes: hard links to one, much faster to make than files."""
    folder.mkdir(parents=True, exist_ok=True)
    old = folder.parent / "old.txt"
    old.write_bytes(b"abc")
    for n in range(OLD):
        os.link(old, folder / f"{n:032x}-old.txt")


@pytest.mark.parametrize(
    "caps",
    [{"UPLOAD_MAX_FILES": OLD + 4}, {"UPLOAD_MAX_BYTES": (OLD + 4) * 3}],
    ids=["files", "bytes"],
)
def test_the_caps_hold_when_uploads_race_in_threads(
    config: dict[str, object], uploads: Path, caps: dict[str, int]
) -> None:
    """16 requests at once on one app, as a threaded server serves them: room
    for 4 more files of 3 bytes."""
    app = create_app({**config, **caps})
    fill_with_old_uploads(uploads)
    start = threading.Barrier(16)

    def race(_: int) -> int:
        client = app.test_client()
        start.wait()
        return upload(client, "race.txt", b"abc").status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(race, range(16)))
    assert sorted(statuses) == [303] * 4 + [409] * 12
    assert len(stored(uploads)) == OLD + 4  # and no partial file


# One gunicorn worker, as it were: a process with an app of its own on the
# shared folder. It says "ready", waits for a line on stdin, then uploads.
WORKER = """
import io, json, sys
from filedrop import create_app
from filedrop import MISSING_KEY

client = create_app(json.loads(sys.argv[1])).test_client()
print("ready", flush=True)
sys.stdin.readline()
statuses = [
    client.post("/", data={"file": (io.BytesIO(b"abc"), "race.txt")}).status_code
    for _ in range(5)
]
print(json.dumps(statuses))
"""
# Only what the worker needs: not the test's own settings, such as mutmut's.
WORKER_ENV = {"PATH": os.environ.get("PATH", "")}


@pytest.mark.parametrize(
    "caps",
    [{"UPLOAD_MAX_FILES": OLD + 6}, {"UPLOAD_MAX_BYTES": (OLD + 6) * 3}],
    ids=["files", "bytes"],
)
def test_the_caps_hold_when_uploads_race_in_worker_processes(
    config: dict[str, object], uploads: Path, caps: dict[str, int]
) -> None:
    """Four processes on one upload folder, five uploads each: room for 6 more."""
    fill_with_old_uploads(uploads)
    command = [sys.executable, "-c", WORKER, json.dumps({**config, **caps})]
    with ExitStack() as stack:
        workers = []
        for _ in range(4):
            worker = stack.enter_context(
                Popen(command, stdin=PIPE, stdout=PIPE, text=True, env=WORKER_ENV)
            )
            stack.callback(worker.kill)  # before Popen's exit waits for it
            workers.append(worker)
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline() == "ready\n"
        for worker in workers:  # all ready: go
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        statuses = [
            status
            for worker in workers
            for status in json.loads(worker.communicate()[0])
        ]
    assert sorted(statuses) == [303] * 6 + [409] * 14
    assert len(stored(uploads)) == OLD + 6  # and no partial file


# --- Bad requests ---------------------------------------------------------------


def error_page(r: TestResponse) -> tuple[str, str]:
    """The heading and the message of the app's own error page."""
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.select_one("header a") is not None  # the app's layout
    heading, message = soup.select_one("main h1"), soup.select_one("main h1 + p")
    assert heading is not None and message is not None
    return heading.text, message.text


# A part with no name, after the file part.
NAMELESS = {
    "text-field": b"Content-Disposition: form-data\r\n\r\nx",
    "file": b'Content-Disposition: form-data; filename="b.txt"\r\n\r\nx',
}


@pytest.mark.parametrize("csrf", [False, True], ids=["csrf-off", "csrf-on"])
@pytest.mark.parametrize("part", list(NAMELESS))
def test_a_part_with_no_name_is_a_400_page(
    config: dict[str, object], uploads: Path, part: str, csrf: bool
) -> None:
    client = create_app({**config, "WTF_CSRF_ENABLED": csrf}).test_client()
    body = b"".join(
        [
            b"--b\r\n",
            b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n',
            b"\r\nhello\r\n--b\r\n",
            NAMELESS[part],
            b"\r\n--b--\r\n",
        ]
    )
    r = client.post("/", data=body, content_type="multipart/form-data; boundary=b")
    assert r.status_code == 400, r.text
    assert error_page(r) == (
        "400 Bad Request",
        "Every part of a multipart form needs a name.",
    )
    assert stored(uploads) == {}


class InvalidChunkSize(Exception):
    """Like gunicorn's: raised by the server while reading, and no OSError."""


class MalformedChunkedBody:
    """The server's input stream for a body whose chunks it cannot decode."""

    def read(self, size: int = -1) -> bytes:
        raise InvalidChunkSize("+0")


def test_a_body_the_server_cannot_decode_is_a_400_page(
    client: FlaskClient, uploads: Path
) -> None:
    r = client.post(
        "/",
        content_type="multipart/form-data; boundary=b",
        environ_overrides={
            "wsgi.input": MalformedChunkedBody(),
            "CONTENT_LENGTH": "100",
        },
    )
    assert r.status_code == 400, r.text
    assert error_page(r) == (
        "400 Bad Request",
        "The browser (or proxy) sent a request that this server could not understand.",
    )
    assert stored(uploads) == {}


def test_a_wrong_method_is_a_405_page_that_says_which_methods_are_allowed(
    client: FlaskClient,
) -> None:
    r = client.post("/files/0123456789abcdef0123456789abcdef-notes.txt")
    assert r.status_code == 405, r.text
    assert set(r.allow) == {"GET", "HEAD", "OPTIONS"}
    assert r.mimetype == "text/html"
    assert error_page(r)[0] == "405 Method Not Allowed"


@pytest.mark.parametrize(
    ("trusted_hosts", "host", "message"),
    [
        (["drop.test"], "evil.test", "Host 'evil.test' is not trusted."),
        # Not a host name (a label over 63 characters): Werkzeug's BadHost.
        (
            None,
            "a" * 64 + ".test",
            "The browser (or proxy) sent a request that this server could not "
            "understand.",
        ),
    ],
    ids=["untrusted", "not-a-host-name"],
)
def test_a_host_no_url_can_be_built_for_is_a_plain_400(
    config: dict[str, object], trusted_hosts: list[str] | None, host: str, message: str
) -> None:
    client = create_app({**config, "TRUSTED_HOSTS": trusted_hosts}).test_client()
    r = client.get("/", headers={"Host": host})
    assert r.status_code == 400, r.text
    # No URL can be built for this host, so no page with links either.
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.text == f"400 Bad Request: {message}"


# --- Configuration ----------------------------------------------------------------


@pytest.fixture
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Apps built as deployed (no test config) get this instance folder, the
    parent of the test's upload folder, instead of instance/ beside the
    package; and none of the developer's FLASK_* variables."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)
    path = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path


@pytest.mark.parametrize(
    ("config_py", "environ", "secret"),
    [
        (None, {"FLASK_SECRET_KEY": "from env"}, "from env"),
        ('SECRET_KEY = "from config.py"\n', {}, "from config.py"),
        (
            'SECRET_KEY = "from config.py"\n',
            {"FLASK_SECRET_KEY": "from env"},
            "from env",
        ),
    ],
    ids=["env", "config-py", "env-over-config-py"],
)
def test_as_deployed_the_app_reads_instance_config_py_then_flask_variables(
    instance_folder: Path,
    uploads: Path,
    monkeypatch: pytest.MonkeyPatch,
    config_py: str | None,
    environ: dict[str, str],
    secret: str,
) -> None:
    if config_py is not None:
        instance_folder.mkdir()
        (instance_folder / "config.py").write_text(config_py)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    app = create_app()
    assert app.secret_key == secret
    # CSRF is on, and uploads go to instance/uploads.
    client = app.test_client()
    token = csrf_token(client.get("/").text)
    assert upload(client, "notes.txt", csrf_token=token).status_code == 303
    assert list(stored(uploads).values()) == [b"hello"]


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"SECRET_KEY": ""},
        {"SECRET_KEY": 12345},
        {"TESTING": True, "SECRET_KEY": ""},
    ],
    ids=["none", "empty", "number", "empty-when-testing"],
)
def test_without_a_secret_key_the_app_refuses_to_start(
    tmp_path: Path, settings: dict[str, object]
) -> None:
    with pytest.raises(RuntimeError, match=re.escape(MISSING_KEY)):
        create_app({"UPLOAD_FOLDER": str(tmp_path / "uploads"), **settings})


@pytest.mark.parametrize("mode", ["TESTING", "DEBUG"])
def test_testing_or_debug_mode_without_a_secret_key_uses_a_development_one(
    config: dict[str, object], mode: str
) -> None:
    settings = {**config, "TESTING": False, "SECRET_KEY": None, mode: True}
    client = create_app(settings).test_client()
    assert upload(client, "notes.txt").status_code == 303
    assert "Uploaded “notes.txt”." in client.get("/").text


# --- CSRF ----------------------------------------------------------------------


def test_upload_needs_the_csrf_token_from_the_page(
    config: dict[str, object], uploads: Path
) -> None:
    client = create_app({**config, "WTF_CSRF_ENABLED": True}).test_client()
    r = upload(client, "hello.txt", b"hello")
    assert r.status_code == 400, r.text
    assert "The CSRF token is missing." in r.text
    assert "Back to the uploads" in r.text
    assert stored(uploads) == {}

    token = csrf_token(client.get("/").text)
    r = upload(client, "hello.txt", b"hello", csrf_token=token)
    assert r.status_code == 303, r.text
    assert list(stored(uploads).values()) == [b"hello"]


# --- In a browser ---------------------------------------------------------------

# Records what the page's <progress> shows while upload.js sends the form. The
# page swaps its <body> when the upload ends, so the bar is gone by then; an
# observer on the whole document still sees every change made to it before.
RECORD_PROGRESS = """() => {
  window.progressSeen = [];
  new MutationObserver((records) => {
    for (const { target } of records) {
      if (target.localName === "progress" && target.hasAttribute("value")) {
        window.progressSeen.push(
          { value: target.value, max: target.max, hidden: target.hidden });
      }
    }
  }).observe(document, {
    subtree: true, attributes: true, attributeFilter: ["value", "max"],
  });
}"""


@contextmanager
def serve(
    page: Page,
    live_server: Callable[[Any], str],
    config: dict[str, object],
    prefix: str,
) -> Iterator[str]:
    """The app with CSRF on, at the root or under a prefix: its base URL.
    No JavaScript error allowed."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    app = create_app({**config, "WTF_CSRF_ENABLED": True})
    wsgi = DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app
    yield live_server(wsgi) + prefix
    assert errors == []


@pytest.mark.browser
@pytest.mark.parametrize("prefix", ["", "/mounted"])
def test_a_browser_upload_shows_its_progress_then_the_file_downloads_back(
    page: Page,
    live_server: Callable[[Any], str],
    config: dict[str, object],
    prefix: str,
    uploads: Path,
    tmp_path: Path,
) -> None:
    # A few MB, so the browser has something to report progress on. In a
    # file, as a visitor picks one: the browser reads it as it sends it (a
    # buffer would first be copied into the page, a second or more).
    content = bytes(range(256)) * (3 * MiB // 256)
    picked = tmp_path / "picked" / "report.txt"
    picked.parent.mkdir()
    picked.write_bytes(content)
    with serve(page, live_server, config, prefix) as base:
        page.goto(f"{base}/")
        expect(page.get_by_text("Nothing uploaded yet.")).to_be_visible()
        page.evaluate(RECORD_PROGRESS)
        page.get_by_label("File").set_input_files(picked)
        page.get_by_role("button", name="Upload").click()

        # upload.js puts the page the server answered in place of this one.
        # (The form's <output> is a status too: the flash is the paragraph.)
        flash = page.get_by_role("status").and_(page.locator("p.flash"))
        expect(flash).to_have_text("Uploaded “report.txt”.")
        expect(page).to_have_url(f"{base}/")
        link = page.locator("#uploads + table").get_by_role("link", name="report.txt")
        expect(link).to_have_count(1)

        # The bar was shown, counted up, and got to its end: the whole body
        # (the file and the rest of the form) was sent.
        seen = page.evaluate("window.progressSeen")
        assert seen, "upload.js never set the progress bar"
        assert all(not step["hidden"] and step["value"] > 0 for step in seen), seen
        values = [step["value"] for step in seen]
        assert values == sorted(values), seen
        assert seen[-1]["value"] == seen[-1]["max"] > len(content), seen

        with page.expect_download() as download_info:
            link.click()
        download = download_info.value
        assert download.suggested_filename == "report.txt"
        assert Path(download.path()).read_bytes() == content
    assert list(stored(uploads).values()) == [content]
