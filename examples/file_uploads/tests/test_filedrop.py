"""Uploading files: checks on the form, safe names, limits and safe serving."""

from __future__ import annotations

import errno
import gc
import io
import json
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


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "The form sent no file."),
        ({"file": "report.pdf"}, "The form sent no file."),  # no enctype
        ({"file": (io.BytesIO(b""), "")}, "Choose a file to upload."),
        ({"file": (io.BytesIO(b"MZ"), "setup.exe")}, "Only these kinds of file"),
        ({"file": (io.BytesIO(b"<?php"), "shell.php")}, "Only these kinds of file"),
        ({"file": (io.BytesIO(b"x"), "archive.txt.gz")}, "Only these kinds of file"),
        ({"file": (io.BytesIO(b"x"), "README")}, "Only these kinds of file"),
        ({"file": (io.BytesIO(b"x"), "txt")}, "Only these kinds of file"),
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
    client: FlaskClient, uploads: Path, data: dict[str, object], message: str
) -> None:
    r = client.post("/", data=data)
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


@pytest.mark.parametrize(
    ("uploaded", "number"),
    [(0, "2"), (5, "4"), (5, "0"), (5, "-1"), (5, "two"), (5, "1.5"), (5, "9" * 5000)],
)
def test_a_page_past_the_list_is_a_404_page(
    config: dict[str, object], uploaded: int, number: str
) -> None:
    client = create_app({**config, "UPLOADS_PER_PAGE": 2}).test_client()
    for _ in range(uploaded):
        assert upload(client, "notes.txt").status_code == 303
    r = client.get(f"/?page={number}")
    assert r.status_code == 404, r.text
    assert "There is no such page of uploads." in r.text
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
    assert "There is no upload by that name." in r.text
    assert "Back to the uploads" in r.text


def test_a_path_in_the_download_url_is_a_404_page(client: FlaskClient) -> None:
    r = client.get("/files/..%2F..%2Fconfig.py")
    assert r.status_code == 404, r.text
    assert "Back to the uploads" in r.text


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


def test_a_file_up_to_the_limit_is_stored(client: FlaskClient, uploads: Path) -> None:
    # The bytes Werkzeug's multipart parser might take for a boundary, in every
    # 64 KiB chunk it reads: the MAX_FORM_MEMORY_SIZE trap (see __init__.py).
    content = b"\r\n--" * ((10 * MiB - 1024) // 4)
    r = upload(client, "big.txt", content)
    assert r.status_code == 303, r.text
    assert list(stored(uploads).values()) == [content]


def test_an_oversized_upload_is_a_friendly_413_and_leaves_nothing(
    client: FlaskClient, uploads: Path
) -> None:
    r = upload(client, "huge.txt", b"x" * (10 * MiB + 1))
    assert_too_large(r, "That file is too big: uploads can be up to 10.0 MiB.")
    assert stored(uploads) == {}


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
    "extra",
    [
        {f"field{n}": "x" for n in range(20)},  # MAX_FORM_PARTS
        {"comment": "x" * (200 * 1024)},  # MAX_FORM_MEMORY_SIZE
    ],
    ids=["too-many-parts", "text-field-too-long"],
)
def test_form_limits_are_a_friendly_413_and_leave_nothing(
    client: FlaskClient, uploads: Path, extra: dict[str, str]
) -> None:
    r = upload(client, "hello.txt", b"hello", **extra)
    assert_too_large(
        r, "That form sent more, or longer, fields than the upload form has."
    )
    assert stored(uploads) == {}
    gc.collect()


def test_a_failed_write_leaves_no_partial_file(app: Flask, uploads: Path) -> None:
    class DiskFullHalfway(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell():
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().read(4)

    file = FileStorage(DiskFullHalfway(b"0123456789"), "notes.txt")
    with app.app_context(), pytest.raises(OSError, match="No space"):
        storage.save(file, "notes.txt")
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


# The more files the drop holds, the longer it takes to count and measure them
# before it stores one more: the wider the gap that racing uploads would slip
# through, were the check and the write not held together.
OLD = 500


def fill_with_old_uploads(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(OLD):
        (folder / f"{n:032x}-old.txt").write_bytes(b"abc")


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

client = create_app(json.loads(sys.argv[1])).test_client()
print("ready", flush=True)
sys.stdin.readline()
statuses = [
    client.post("/", data={"file": (io.BytesIO(b"abc"), "race.txt")}).status_code
    for _ in range(5)
]
print(json.dumps(statuses))
"""


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
                Popen(command, stdin=PIPE, stdout=PIPE, text=True)
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
