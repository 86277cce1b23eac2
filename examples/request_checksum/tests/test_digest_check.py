"""Request content checksums: the body hashed as Flask reads it, checked against
the client's Content-Digest header, for every kind of body."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import multiprocessing
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from typing import cast
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask import request
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound
from werkzeug.test import encode_multipart

from digest_check import create_app
from digest_check.checksum import CHUNK_SIZE
from digest_check.checksum import DigestRequest
from digest_check.checksum import HashingStream

SMALL, BIG = 100, 3 * CHUNK_SIZE + 1  # BIG takes several reads of the stream


def content_digest(body: bytes) -> str:
    """What a client sends: sha-256=:<base64 of the body's SHA-256>:."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def payload(size: int) -> bytes:
    return (bytes(range(256)) * (size // 256 + 1))[:size]


# Each kind of body as the exact bytes a client sends, so it can hash them.
def raw_body(size: int) -> tuple[bytes, str]:
    return payload(size), "application/octet-stream"


def form_body(size: int) -> tuple[bytes, str]:
    fields = {"note": "n" * size, "city": "Zürich"}
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"


def multipart_body(size: int) -> tuple[bytes, str]:
    file = FileStorage(io.BytesIO(payload(size)), "report.bin")
    boundary, body = encode_multipart({"title": "Report", "file": file})
    return body, f"multipart/form-data; boundary={boundary}"


def json_body(size: int) -> tuple[bytes, str]:
    return json.dumps({"note": "n" * size, "n": [1, 2]}).encode(), "application/json"


KINDS = {"raw": raw_body, "form": form_body, "multipart": multipart_body}
KINDS["json"] = json_body
by_kind = pytest.mark.parametrize("kind", KINDS)
by_size = pytest.mark.parametrize(
    "size", [SMALL, BIG], ids=["small", "bigger-than-a-chunk"]
)


def post(
    client: FlaskClient, path: str, body: bytes, content_type: str, digest: str | None
) -> Any:
    headers = {} if digest is None else {"Content-Digest": digest}
    return client.post(path, data=body, content_type=content_type, headers=headers)


# --- The API reads each kind of body, and checks it -------------------------


@by_kind
@by_size
def test_a_matching_digest_is_accepted_and_echoed(
    client: FlaskClient, kind: str, size: int
) -> None:
    body, content_type = KINDS[kind](size)
    response = post(client, "/api/echo", body, content_type, content_digest(body))
    assert response.status_code == 200, response.text
    report = response.json
    assert report["kind"] == kind
    assert report["content_digest"] == content_digest(body)
    # And the view got the body it was sent, parsed as usual.
    expected = {
        "raw": lambda: report["size"] == size,
        "form": lambda: report["form"] == {"note": ["n" * size], "city": ["Zürich"]},
        "multipart": lambda: (
            report["form"] == {"title": ["Report"]}
            and report["files"]
            == [{"field": "file", "filename": "report.bin", "size": size}]
        ),
        "json": lambda: report["json"] == {"note": "n" * size, "n": [1, 2]},
    }
    assert expected[kind](), report


@by_kind
@by_size
def test_a_body_that_differs_from_its_digest_is_a_400(
    client: FlaskClient, kind: str, size: int
) -> None:
    body, content_type = KINDS[kind](size)
    # The client hashed one body; one byte near the end changed on the way.
    sent = body[:-2] + bytes([body[-2] ^ 1]) + body[-1:]
    response = post(client, "/api/echo", sent, content_type, content_digest(body))
    assert response.status_code == 400, response.text
    assert response.json == {
        "error": "Bad Request",
        "message": "The body does not match its Content-Digest: "
        f"the body that arrived has {content_digest(sent)}",
    }


MALFORMED = [
    pytest.param(None, "Send a Content-Digest header", id="missing"),
    pytest.param("", "malformed", id="empty"),
    pytest.param("sha-256", "malformed", id="no-value"),
    pytest.param("sha-256=abc", "malformed", id="not-a-byte-sequence"),
    pytest.param("sha-256=:not base64!:", "malformed", id="not-base64"),
    pytest.param("sha-256=:YWJj:;x, ", "malformed", id="trailing-junk"),
    # 32 bytes are 43 characters and one "=": a second "=" is not base64.
    pytest.param("sha-256=:" + "A" * 43 + "==:", "malformed", id="excess-padding"),
    # Structured Field keys are lowercase: this is not a sha-256 member.
    pytest.param("SHA-256=:" + "A" * 43 + "=:", "malformed", id="uppercase-key"),
    pytest.param("md5=:XrY7u+Ae7tCTyyK7j1rNww==:", "no sha-256", id="md5-only"),
    pytest.param("sha-256=:YWJj:", "not 32 bytes long", id="too-short"),
]


@by_kind
@pytest.mark.parametrize(("header", "message"), MALFORMED)
def test_a_missing_or_malformed_header_is_a_400_that_says_what_to_send(
    client: FlaskClient, kind: str, header: str | None, message: str
) -> None:
    body, content_type = KINDS[kind](SMALL)
    response = post(client, "/api/echo", body, content_type, header)
    assert response.status_code == 400, response.text
    assert message in response.json["message"]
    assert "sha-256=:<base64 of the SHA-256 of the body>:" in response.json["message"]


@pytest.mark.parametrize(
    "disposition", ["form-data", 'form-data; filename="f"'], ids=["field", "file"]
)
def test_a_multipart_part_without_a_name_is_a_400(
    client: FlaskClient, disposition: str
) -> None:
    body = (
        f"--B\r\nContent-Disposition: {disposition}\r\n\r\nv\r\n"
        '--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nv\r\n--B--\r\n'
    ).encode()
    content_type = "multipart/form-data; boundary=B"
    response = post(client, "/api/echo", body, content_type, content_digest(body))
    assert response.status_code == 400, response.text
    assert response.json == {
        "error": "Bad Request",
        "message": "Every part of a multipart form needs a name.",
    }


def test_every_file_of_a_field_is_reported(client: FlaskClient) -> None:
    files = [FileStorage(io.BytesIO(b"x" * n), f"{n}.txt") for n in (1, 2)]
    boundary, body = encode_multipart({"photos": files})
    content_type = f"multipart/form-data; boundary={boundary}"
    response = post(client, "/api/echo", body, content_type, content_digest(body))
    assert response.status_code == 200, response.text
    assert response.json["files"] == [
        {"field": "photos", "filename": "1.txt", "size": 1},
        {"field": "photos", "filename": "2.txt", "size": 2},
    ]


def test_other_algorithms_may_come_along_with_sha_256(client: FlaskClient) -> None:
    body, content_type = raw_body(SMALL)
    sha512 = base64.b64encode(hashlib.sha512(body).digest()).decode()
    header = f"sha-512=:{sha512}:,  sha-256={content_digest(body)[8:]}"
    response = post(client, "/api/echo", body, content_type, header)
    assert response.status_code == 200, response.text


@by_kind
def test_a_body_the_view_never_reads_is_still_checked(
    client: FlaskClient, kind: str
) -> None:
    body, content_type = KINDS[kind](BIG)
    response = post(client, "/api/discard", body, content_type, content_digest(body))
    assert response.status_code == 204, response.text
    # Only the last byte differs: so the whole body was read and hashed.
    sent = body[:-1] + bytes([body[-1] ^ 1])
    response = post(client, "/api/discard", sent, content_type, content_digest(body))
    assert response.status_code == 400, response.text
    assert content_digest(sent) in response.json["message"]


def test_what_the_form_parser_leaves_unread_is_hashed_too(client: FlaskClient) -> None:
    body, content_type = multipart_body(SMALL)
    sent = body + b"an epilogue after the closing boundary"  # parsers stop before it
    response = post(client, "/api/echo", sent, content_type, content_digest(sent))
    assert response.status_code == 200, response.text
    response = post(client, "/api/echo", sent, content_type, content_digest(body))
    assert response.status_code == 400, response.text


def test_a_chunked_body_with_no_content_length_is_hashed(client: FlaskClient) -> None:
    body = payload(BIG)
    response = client.post(
        "/api/echo",
        input_stream=io.BytesIO(body),
        content_type="application/octet-stream",
        headers={"Content-Digest": content_digest(body)},
        # What a server that decodes Transfer-Encoding: chunked passes on.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200, response.text
    assert json.loads(response.data)["size"] == BIG


def test_a_view_can_read_the_body_as_text_line_by_line(app: Flask) -> None:
    body = "name,city\nAnn,Zürich\n".encode()
    with app.test_request_context(method="POST", data=body, content_type="text/csv"):
        # io.TextIOWrapper reads only a stream that says it is readable.
        lines = io.TextIOWrapper(request.stream, encoding="utf-8", newline="")
        assert list(csv.reader(lines)) == [["name", "city"], ["Ann", "Zürich"]]
        digest = cast(DigestRequest, request).body_sha256()
        assert digest == hashlib.sha256(body).digest()


def test_digests_are_compared_in_constant_time(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []

    def compare_digest(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return a == b

    monkeypatch.setattr(hmac, "compare_digest", compare_digest)
    body, content_type = raw_body(SMALL)
    post(client, "/api/echo", body, content_type, content_digest(body))
    assert (hashlib.sha256(body).digest(),) * 2 in compared


# --- Parse errors: the digest explains a damaged body best --------------------


NOT_JSON = "The body is not valid JSON, or has a number too large for a float."


def test_invalid_json_with_a_matching_digest_is_reported_as_invalid_json(
    client: FlaskClient,
) -> None:
    for body in (b'{"unclosed": ', b"[" * 100_000):
        response = post(
            client, "/api/echo", body, "application/json", content_digest(body)
        )
        assert response.status_code == 400, response.text
        assert response.json["message"] == NOT_JSON


@pytest.mark.parametrize(
    "body",
    [
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"1e1000000",
        b'{"note": "n", "n": NaN}',
        b"[1, [2, -Infinity]]",
        b'{"n": {"m": [1e1000000]}}',
    ],
)
def test_a_number_json_parse_cannot_read_is_a_400(
    client: FlaskClient, body: bytes
) -> None:
    # Python reads these; echoed back they are NaN and Infinity, not JSON.
    response = post(client, "/api/echo", body, "application/json", content_digest(body))
    assert response.status_code == 400, response.text
    assert response.json == {"error": "Bad Request", "message": NOT_JSON}


def test_the_largest_numbers_a_float_holds_are_echoed(client: FlaskClient) -> None:
    body = b'{"big": 1e308, "max": -1.7976931348623157e308, "tiny": 5e-324}'
    response = post(client, "/api/echo", body, "application/json", content_digest(body))
    assert response.status_code == 200, response.text

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")  # JSON.parse agrees

    echoed = json.loads(response.data, parse_constant=refuse)["json"]
    assert echoed == {"big": 1e308, "max": -1.7976931348623157e308, "tiny": 5e-324}


def test_json_damaged_on_the_way_is_reported_as_a_digest_mismatch(
    client: FlaskClient,
) -> None:
    body, content_type = json_body(SMALL)
    sent = body[:-1]  # the closing brace lost
    response = post(client, "/api/echo", sent, content_type, content_digest(body))
    assert response.status_code == 400, response.text
    assert "does not match its Content-Digest" in response.json["message"]


# --- Storing only what checks out ------------------------------------------


def stored(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_checked_file_is_stored_under_its_sha256_and_served_back(
    client: FlaskClient, files_folder: Path
) -> None:
    body, content_type = raw_body(BIG)
    name = hashlib.sha256(body).hexdigest()
    response = post(client, "/api/files", body, content_type, content_digest(body))
    assert response.status_code == 201, response.text
    assert response.json == {
        "content_digest": content_digest(body),
        "name": name,
        "url": f"/api/files/{name}",
    }
    assert response.headers["Location"] == f"/api/files/{name}"
    assert stored(files_folder) == [name]

    with client.get(f"/api/files/{name}") as download:
        assert download.status_code == 200, download.get_data(as_text=True)
        assert download.data == body
        assert download.headers["Repr-Digest"] == content_digest(body)
        assert download.headers["Content-Type"] == "application/octet-stream"
    page = client.get("/").text  # listed on the page, with its size and digest
    assert name[:12] in page
    assert f"<td>{len(body)}</td>" in page
    assert f"<code>{content_digest(body)}</code>" in page


@pytest.mark.parametrize(
    ("size", "status"),
    [(8 * 1024 * 1024, 201), (8 * 1024 * 1024 + 1, 413)],
    ids=["8-mib", "a-byte-more"],
)
def test_a_body_is_8_mib_at_most(
    client: FlaskClient, files_folder: Path, size: int, status: int
) -> None:
    body, content_type = raw_body(size)
    response = post(client, "/api/files", body, content_type, content_digest(body))
    assert response.status_code == status, response.text
    if status == 413:
        assert response.json == {
            "error": "Request Entity Too Large",
            "message": "The data value transmitted exceeds the capacity limit.",
        }
    assert len(stored(files_folder)) == (status == 201)


def test_the_page_lists_the_stored_files_twenty_at_a_time(
    client: FlaskClient, files_folder: Path
) -> None:
    files_folder.mkdir()
    names = sorted(hashlib.sha256(bytes([n])).hexdigest() for n in range(25))
    for name in names:
        (files_folder / name).write_bytes(b"x")
    first, second = client.get("/"), client.get("/?page=2")
    assert [name for name in names if name[:12] in first.text] == names[:20]
    assert [name for name in names if name[:12] in second.text] == names[20:]
    assert '<a href="/?page=2">next</a>' in first.text
    assert '<a href="/?page=1">previous</a>' in second.text
    third = client.get("/?page=3")
    assert third.status_code == 404, third.text
    assert "There is no page 3: the files fill pages 1 to 2." in third.text


@pytest.mark.parametrize("number", ["0", "2", "-1"])
def test_a_page_past_the_files_is_a_404(client: FlaskClient, number: str) -> None:
    response = client.get(f"/?page={number}")
    assert response.status_code == 404, response.text
    assert f"There is no page {number}: the files fill pages 1 to 1." in response.text


def test_an_upload_is_written_in_the_store_not_the_system_temp_folder(
    client: FlaskClient,
    files_folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """os.replace moves a file only within one filesystem: the upload is written
    beside the files it joins, whatever the system's temporary folder is."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    body, content_type = raw_body(SMALL)
    response = post(client, "/api/files", body, content_type, content_digest(body))
    assert response.status_code == 201, response.text
    assert stored(files_folder) == [hashlib.sha256(body).hexdigest()]


@pytest.mark.parametrize(
    "digest", [content_digest(b"something else"), "sha-256=:YWJj:", None]
)
def test_a_file_that_fails_its_check_leaves_nothing_behind(
    client: FlaskClient, files_folder: Path, digest: str | None
) -> None:
    body, content_type = raw_body(BIG)
    response = post(client, "/api/files", body, content_type, digest)
    assert response.status_code == 400, response.text
    assert stored(files_folder) == []  # no file, and no temporary file either


@pytest.mark.parametrize("maker", [form_body, multipart_body])
def test_the_store_wants_the_file_itself_as_the_body(
    client: FlaskClient, files_folder: Path, maker: Callable[[int], tuple[bytes, str]]
) -> None:
    body, content_type = maker(SMALL)
    response = post(client, "/api/files", body, content_type, content_digest(body))
    assert response.status_code == 415, response.text
    assert response.json["message"] == (
        "Send the file itself as the body, e.g. application/octet-stream."
    )
    assert stored(files_folder) == []


def test_the_store_is_bounded(client: FlaskClient, files_folder: Path) -> None:
    files_folder.mkdir()
    for n in range(100):
        (files_folder / hashlib.sha256(bytes([n])).hexdigest()).write_bytes(bytes([n]))
    body, content_type = raw_body(SMALL)
    response = post(client, "/api/files", body, content_type, content_digest(body))
    assert response.status_code == 409, response.text
    assert "The store is full: 100 files at most." in response.json["message"]
    assert len(stored(files_folder)) == 100


def test_the_store_holds_so_many_bytes_at_most(
    config: dict[str, object], files_folder: Path
) -> None:
    client = create_app({**config, "FILES_MAX_BYTES": 1000}).test_client()
    # Exactly full, it still takes an empty file.
    for size, status in ((600, 201), (401, 409), (400, 201), (1, 409), (0, 201)):
        body, content_type = raw_body(size)
        response = post(client, "/api/files", body, content_type, content_digest(body))
        assert response.status_code == status, response.text
        if status == 409:
            assert response.json == {
                "error": "Conflict",
                "message": "The store is full: 1000 bytes at most.",
            }
    assert sum(p.stat().st_size for p in files_folder.iterdir()) == 1000


def test_the_store_holds_64_mib_by_default(
    client: FlaskClient, files_folder: Path
) -> None:
    files_folder.mkdir()
    with (files_folder / ("0" * 64)).open("wb") as file:
        file.truncate(64 * 1024 * 1024 - 1)  # sparse: no room taken on disk
    for body, status in ((b"a", 201), (b"b", 409)):
        response = post(client, "/api/files", body, "text/plain", content_digest(body))
        assert response.status_code == status, response.text
    assert response.json == {
        "error": "Conflict",
        "message": "The store is full: 67108864 bytes at most.",
    }


class ArrivingTogether:
    """A body from a slow client: none of it arrives before every upload in
    the test has started, as when many clients upload at once."""

    def __init__(self, body: bytes, barrier: Any) -> None:
        self._body = io.BytesIO(body)
        self._barrier = barrier  # threading's or multiprocessing's

    def read(self, size: int = -1) -> bytes:
        if self._body.tell() == 0:
            self._barrier.wait()
        return self._body.read(size)


def upload_together(app: Flask, body: bytes, barrier: Any) -> tuple[int, Any]:
    response = app.test_client().post(
        "/api/files",
        content_type="application/octet-stream",
        headers={"Content-Digest": content_digest(body)},
        environ_overrides={
            "wsgi.input": ArrivingTogether(body, barrier),
            "CONTENT_LENGTH": str(len(body)),
        },
    )
    return response.status_code, response.json


def upload_in_threads(config: dict[str, object], bodies: list[bytes]) -> list[Any]:
    """Each upload in a thread of its own, as a threaded server runs them."""
    app = create_app(config)
    barrier = threading.Barrier(len(bodies), timeout=60)  # a safeguard, not a wait
    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(lambda body: upload_together(app, body, barrier), bodies))


def upload_in_a_process(
    config: dict[str, object], body: bytes, barrier: Any, results: Any
) -> None:
    results.put(upload_together(create_app(config), body, barrier))


def upload_in_processes(config: dict[str, object], bodies: list[bytes]) -> list[Any]:
    """Each upload in a process of its own, as gunicorn's workers run them."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(bodies), timeout=60)
    results = context.Queue()
    processes = [
        context.Process(target=upload_in_a_process, args=(config, b, barrier, results))
        for b in bodies
    ]
    for process in processes:
        process.start()
    try:
        return [results.get(timeout=60) for _ in bodies]
    finally:
        for process in processes:
            process.join()


FILES_FULL = ({"FILES_MAX": 3}, 2, "The store is full: 3 files at most.")
BYTES_FULL = ({"FILES_MAX_BYTES": 1000}, 0, "The store is full: 1000 bytes at most.")


# Either way there is room for one more file of 600 bytes, not two. Processes
# (slow to spawn) once: they catch a count kept in one process's memory.
@pytest.mark.parametrize(
    ("upload", "limit", "before", "message"),
    [
        (upload_in_threads, *FILES_FULL),
        (upload_in_threads, *BYTES_FULL),
        (upload_in_processes, *FILES_FULL),
    ],
    ids=["files-threads", "bytes-threads", "files-processes"],
)
def test_uploads_at_once_never_overfill_the_store(
    config: dict[str, object],
    files_folder: Path,
    upload: Callable[[dict[str, object], list[bytes]], list[Any]],
    limit: dict[str, int],
    before: int,
    message: str,
) -> None:
    files_folder.mkdir()
    for n in range(before):
        (files_folder / hashlib.sha256(bytes([n])).hexdigest()).write_bytes(bytes([n]))
    bodies = [bytes([n]) * 600 for n in range(4)]
    results = upload({**config, **limit}, bodies)
    assert sorted(status for status, _ in results) == [201, 409, 409, 409], results
    refused = [answer for status, answer in results if status == 409]
    assert refused == [{"error": "Conflict", "message": message}] * 3
    # One more file stored, and no temporary files left behind.
    assert len(stored(files_folder)) == before + 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("0" * 64, NotFound.description),
        ("../../etc/passwd", NotFound.description),
        ("A" * 64, "There is no such file: names are 64 hex digits."),
        ("abc", "There is no such file: names are 64 hex digits."),
    ],
    ids=["unknown", "path", "upper-case", "short"],
)
def test_an_unknown_or_malformed_file_name_is_a_404(
    client: FlaskClient, name: str, message: str
) -> None:
    response = client.get(f"/api/files/{name}")
    assert response.status_code == 404, response.text
    assert json.loads(response.data) == {"error": "Not Found", "message": message}


NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL"
    " manually please check your spelling and try again."
)


@pytest.mark.parametrize("path", ["/api", "/api/nothing"])
def test_errors_at_the_api_are_json(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.json == {"error": "Not Found", "message": NOT_FOUND}


@pytest.mark.parametrize("path", ["/apis", "/nothing"])
def test_errors_elsewhere_are_flasks_own_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.mimetype == "text/html"
    assert f"<h1>Not Found</h1>\n<p>{NOT_FOUND}</p>" in response.text


def test_a_wrong_method_is_a_json_405_that_says_which_are_allowed(
    client: FlaskClient,
) -> None:
    response = client.get("/api/echo")
    assert response.status_code == 405, response.text
    assert response.json == {
        "error": "Method Not Allowed",
        "message": "The method is not allowed for the requested URL.",
    }
    # In any order: Werkzeug lists them from a set.
    assert sorted(response.headers["Allow"].split(", ")) == ["OPTIONS", "POST"]


# --- Cross-site requests: refused without a CSRF token -----------------------


def test_a_form_from_another_site_is_refused_for_want_of_a_digest(
    client: FlaskClient, files_folder: Path
) -> None:
    # What another site's <form> can send: no Content-Digest header, ever.
    response = client.post("/api/files", data={"file": "x"})
    assert response.status_code == 400, response.text
    assert "Send a Content-Digest header" in json.loads(response.data)["message"]
    assert stored(files_folder) == []


class ReadOnlyInput:
    """A server's input that offers read() and nothing else (gunicorn's does)."""

    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)

    def read(self, size: int = -1) -> bytes:
        return self._body.read(size)


@by_kind
def test_a_server_input_with_only_read_is_hashed_too(app: Flask, kind: str) -> None:
    body, content_type = KINDS[kind](3 * CHUNK_SIZE + 7)
    client = app.test_client()
    for digest, status in ((content_digest(body), 200), (content_digest(b"x"), 400)):
        response = client.post(
            "/api/echo",
            content_type=content_type,
            headers={"Content-Digest": digest},
            environ_overrides={
                "wsgi.input": ReadOnlyInput(body),
                "CONTENT_LENGTH": str(len(body)),
            },
        )
        assert response.status_code == status, response.text


class InvalidChunkSize(Exception):
    """Like gunicorn's error for a malformed chunked body: not an OSError."""


class MalformedChunkedInput:
    """A server's input that fails as gunicorn's does on a chunk size of +0."""

    def read(self, size: int = -1) -> bytes:
        raise InvalidChunkSize("+0")


def test_a_body_the_server_cannot_decode_is_a_400(
    client: FlaskClient, files_folder: Path
) -> None:
    response = client.post(
        "/api/files",
        content_type="application/octet-stream",
        headers={"Content-Digest": content_digest(b"hello")},
        environ_overrides={
            "wsgi.input": MalformedChunkedInput(),
            "CONTENT_LENGTH": "5",
        },
    )
    assert response.status_code == 400, response.text
    assert response.json == {
        "error": "Bad Request",
        "message": "The browser (or proxy) sent a request that this server could"
        " not understand.",
    }
    assert stored(files_folder) == []


# --- Configuration ----------------------------------------------------------


@pytest.mark.parametrize(
    ("config_py", "environ", "statuses"),
    [
        (None, {}, [201, 201]),
        ("FILES_MAX = 1\n", {}, [201, 409]),
        (None, {"FLASK_FILES_MAX": "1"}, [201, 409]),
    ],
    ids=["defaults", "instance-config-py", "environment"],
)
def test_the_store_is_in_the_instance_folder_and_set_from_config_py_or_env(
    instance_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    config_py: str | None,
    environ: dict[str, str],
    statuses: list[int],
) -> None:
    if config_py is not None:
        instance_folder.mkdir()
        (instance_folder / "config.py").write_text(config_py)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    client = create_app().test_client()
    bodies = [b"first", b"second"]
    answers = [
        post(client, "/api/files", b, "text/plain", content_digest(b)) for b in bodies
    ]
    assert [answer.status_code for answer in answers] == statuses, answers[-1].text
    if statuses[-1] == 409:
        assert answers[-1].json["message"] == "The store is full: 1 files at most."
    kept = [
        body for body, status in zip(bodies, statuses, strict=True) if status == 201
    ]
    names = sorted(hashlib.sha256(body).hexdigest() for body in kept)
    assert stored(instance_folder / "files") == names


@pytest.mark.parametrize(
    "stream", [io.BytesIO, ReadOnlyInput], ids=["readinto", "read-only"]
)
def test_the_hashing_stream_reads_any_input_whole_and_hashes_it(
    stream: Callable[[bytes], Any],
) -> None:
    """Werkzeug hands on the server's own input when no limit applies (a
    chunked body, MAX_CONTENT_LENGTH unset): it may have only read()."""
    body = bytes(range(256)) * 300  # more than one buffer
    hashing = HashingStream(stream(body))
    buffer, parts = bytearray(CHUNK_SIZE), []
    while count := hashing.readinto(buffer):  # as Werkzeug's parsers read
        parts.append(bytes(buffer[:count]))
    assert b"".join(parts) == body
    assert hashing.sha256.digest() == hashlib.sha256(body).digest()
