"""Uploads under attack.

The gallery is served by a real server in a process of its own, its Python
temporary files in a folder of the check's; its examples are searched for
what takes an upload: a form with a file input (sent as multipart, CSRF token
included), or an endpoint that answers 201 Created to a raw body. Each gets
traversal names, NUL bytes, Unicode look-alikes, double extensions, script
as HTML and SVG, bodies over the limit (with a Content-Length, and chunked
without one), and uploads cut off half-way.

Every payload starts with a marker, so any copy of one, complete or partial,
is found wherever it lands. Afterwards: nothing outside the folder the
example keeps its uploads in, no stored name with a path, a NUL byte or
anything but plain ASCII, no upload served back as a page a browser would
render, and no temporary or partial file left behind.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socket
import struct
import tempfile
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from cookbook import services
from cookbook.catalogue import ROOT

from . import all_of
from . import at_least
from . import at_most
from . import environment
from . import Figure
from . import MIB
from . import private_instance_folders
from .client import Answer
from .client import forms
from .client import links
from .client import parse
from .client import Session
from .servers import GalleryServer
from .servers import threads
from .targets import discover
from .targets import Target

NAME = "Uploads under attack"
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
PAGE_TYPES = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
}
SNIFFED_TYPES = {"", "text/plain", "application/unknown", "unknown/unknown", "*/*"}


def attack_names(marker: str) -> list[str]:
    """File names that try to leave the folder, hide a NUL, look like another
    name (fullwidth letters and dot, a one-dot leader, a right-to-left
    override, a zero-width space) or carry two extensions."""
    m = marker
    return [
        f"../../{m}.html", f"..\\..\\{m}.html", f"{tempfile.gettempdir()}/{m}.html",
        f"....//....//{m}.html", f"%2e%2e%2f{m}.html", f"a/../../{m}.txt",
        f"C:\\{m}.html", f"~/{m}.html", f"{m}\x00.html", f"{m}.html\x00.txt",
        f"{m}.html%00.txt", f"\uff45\uff56\uff49\uff4c{m}\uff0ehtml",
        f"{m}\u2024html", f"{m}.html\u202etxt.", f"{m}\u200b.html", f"{m}.txt.html",
        f"{m}.html.txt", f"{m}.php.png", f"{m}.svg", f"{m}.HTML", f".{m}.html",
        f"{m}", "CON", f"{m}/", f" {m}.txt ", f"{m}.html;.txt",
        f"{m}{'a' * 300}.txt", f"{m}\u00e9\u2603.txt", "..", ".", "",
    ]  # fmt: skip


@dataclass
class Endpoint:
    """Where an example takes uploads."""

    example: str
    action: str
    kind: str  # "form" (multipart with a file input) or "raw" (201 to a body)
    session: Session
    file_field: str = "file"  # the form's file input
    values: dict[str, str] = field(default_factory=dict)  # the form's other fields
    limit: int = MIB


@dataclass
class Tally:
    sent: Counter[str] = field(default_factory=Counter)  # attacks by kind
    errors: list[str] = field(default_factory=list)  # 5xx answers
    accepted: set[bytes] = field(default_factory=set)  # payloads answered 2xx/3xx
    oversize: int = 0
    oversize_refused: int = 0
    locations: list[str] = field(default_factory=list)  # URLs that 201 answers gave


def run(short: bool = False) -> list[Figure]:
    """The same attacks in both forms: a few hundred requests."""
    marker = f"stressmark{secrets.token_hex(6)}"
    print(f"{NAME}: marker {marker}")
    with (
        private_instance_folders() as root,
        environment(FLASK_SECRET_KEY=secrets.token_hex()),
    ):
        targets = discover({"SECRET_KEY": "only-to-read-the-routes"})
        served, temporary = root / "served", root / "tmp"
        temporary.mkdir()
        with GalleryServer(served, temporary) as server:
            idle = threads(server.pid)
            before = snapshot(root)
            tally = Tally()
            endpoints = find_endpoints(server.port, targets, marker, tally)
            for endpoint in endpoints:
                attack(server.port, endpoint, marker, tally)
            # Cut-off uploads may still be being handled: wait for their threads.
            services.wait_until(
                lambda: threads(server.pid) <= idle,
                timeout=30,
                what="the server's request threads",
            )
            served_back = serve_back(server.port, endpoints, marker, tally)
            log = server.output()
        return report(
            root, temporary, before, endpoints, tally, served_back, marker, log
        )


# -- Finding what takes uploads ------------------------------------------------------


def find_endpoints(
    port: int, targets: list[Target], marker: str, tally: Tally
) -> list[Endpoint]:
    """Forms with a file input, and whatever answers 201 to a raw body."""
    found: list[Endpoint] = []
    for target in targets[1:]:  # the examples; the gallery's own pages take nothing
        session = Session(port)
        page = session.get(f"{target.prefix}/")
        token = ""
        for path in [f"{target.prefix}/", *links(page.text, f"{target.prefix}/")][:20]:
            if not path.startswith(f"{target.prefix}/") or "/static/" in path:
                continue
            answer = page if path == f"{target.prefix}/" else session.get(path)
            if answer.mimetype != "text/html":
                continue
            for form in forms(answer.text, path):
                token = token or form.csrf_token or ""
                known = {(e.example, e.action) for e in found}
                if (
                    form.method == "POST"
                    and form.file_inputs
                    and (target.name, form.action) not in known
                ):
                    values = dict(form.values)
                    found.append(
                        Endpoint(target.name, form.action, "form", session,
                                 form.file_inputs[0], values, target.limit or MIB)
                    )  # fmt: skip
        if any(e.example == target.name for e in found):
            continue
        for route in target.routes:
            if "POST" not in route.methods or route.arguments:
                continue
            action = target.prefix + route.rule
            probe = payload(marker, "probe")
            answer = session.request("POST", action, raw_headers(probe, token), probe)
            if answer.status == 201:
                tally.accepted.add(probe)
                found.append(
                    Endpoint(
                        target.name, action, "raw", session, limit=target.limit or MIB
                    )
                )
    for endpoint in found:
        print(f"  takes uploads: {endpoint.example} {endpoint.kind} {endpoint.action}")
    return found


def payload(marker: str, label: str, size: int = 0) -> bytes:
    """A body that starts with the marker: any copy of it, whole or cut, is found."""
    body = (
        f"{marker} {label}\n<html><body><script>alert('{marker}')</script>"
        f'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/></body></html>\n'
    ).encode()
    return body + b"x" * max(0, size - len(body))


def script(marker: str) -> bytes:
    return f"<script>alert('{marker}')</script>".encode()


def digest_header(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def raw_headers(body: bytes, token: str) -> list[tuple[str, str]]:
    headers = [
        ("Content-Type", "application/octet-stream"),
        ("Content-Digest", digest_header(body)),
    ]
    return headers + ([("X-CSRFToken", token)] if token else [])


def multipart(
    endpoint: Endpoint, filename: str, body: bytes, content_type: str
) -> tuple[bytes, str]:
    boundary = f"stress{secrets.token_hex(8)}"
    parts = [
        f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode()
        for name, value in endpoint.values.items()
    ]
    disposition = f'form-data; name="{endpoint.file_field}"; filename="{filename}"'
    head = f"Content-Disposition: {disposition}\r\nContent-Type: {content_type}"
    parts.append(head.encode("utf-8", "surrogateescape") + b"\r\n\r\n" + body)
    data = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return (
        data + b"--" + boundary.encode() + b"--\r\n",
        f"multipart/form-data; boundary={boundary}",
    )


# -- Attacking -----------------------------------------------------------------------


def attack(port: int, endpoint: Endpoint, marker: str, tally: Tally) -> None:
    if endpoint.kind == "form":
        for number, filename in enumerate(attack_names(marker)):
            content_type = ("text/html", "image/svg+xml", "text/plain", "")[number % 4]
            body = payload(marker, f"name {number}")
            data, form_type = multipart(endpoint, filename, body, content_type)
            answer = endpoint.session.request(
                "POST", endpoint.action, [("Content-Type", form_type)], data
            )
            record(
                tally,
                "traversal, NUL, look-alike, double extension",
                answer,
                body,
                endpoint,
            )
        # RFC 5987's filename*, which takes percent-encoded bytes.
        body = payload(marker, "filename*")
        data, form_type = multipart(endpoint, "x.txt", body, "text/plain")
        data = data.replace(
            b'filename="x.txt"', f"filename*=UTF-8''..%2F..%2F{marker}.html".encode()
        )
        answer = endpoint.session.request(
            "POST", endpoint.action, [("Content-Type", form_type)], data
        )
        record(
            tally,
            "traversal, NUL, look-alike, double extension",
            answer,
            body,
            endpoint,
        )
    else:
        body = payload(marker, "wrong digest")
        headers = raw_headers(body, "")
        headers[1] = ("Content-Digest", digest_header(b"something else"))
        answer = endpoint.session.request("POST", endpoint.action, headers, body)
        record(tally, "wrong digest", answer, None, endpoint)
    oversize(port, endpoint, marker, tally)
    for reset in (False, True):
        interrupted(port, endpoint, marker, reset)
        tally.sent["interrupted"] += 1


def record(
    tally: Tally, kind: str, answer: Answer, body: bytes | None, endpoint: Endpoint
) -> None:
    tally.sent[kind] += 1
    if kind == "over the limit" and answer.status != 413:
        print(
            f"  ! {endpoint.example}: over the limit answered {answer.status} "
            f"{answer.body[:200]!r}"
        )
    if answer.status >= 500 or answer.dropped:
        tally.errors.append(
            f"{endpoint.example} {kind}: {answer.status} {answer.error}"
        )
    elif answer.status < 400 and body is not None:
        tally.accepted.add(body)
    if answer.status == 201 and answer.header("Location"):
        tally.locations.append(answer.header("Location"))


def request_bytes(
    endpoint: Endpoint, body_type: str, length: int | None, digest: str = ""
) -> bytes:
    headers = [
        f"POST {endpoint.action} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Type: {body_type}",
        *(f"{name}: {value}" for name, value in endpoint.session.cookie_header()),
        "Content-Length: " + str(length)
        if length is not None
        else "Transfer-Encoding: chunked",
        *([f"Content-Digest: {digest}"] if digest else []),
        "Connection: close",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode()


def body_for(
    endpoint: Endpoint, marker: str, label: str, size: int
) -> tuple[bytes, str]:
    content = payload(marker, label, size)
    if endpoint.kind == "form":
        return multipart(endpoint, f"{marker}.txt", content, "text/plain")
    return content, "application/octet-stream"


def oversize(port: int, endpoint: Endpoint, marker: str, tally: Tally) -> None:
    """Over the limit: with an honest Content-Length, and chunked with none."""
    data, body_type = body_for(endpoint, marker, "oversize", endpoint.limit + 1)
    # A true digest: the size is the only thing wrong with these.
    headers = [("Content-Type", body_type), ("Content-Digest", digest_header(data))]
    answer = endpoint.session.request("POST", endpoint.action, headers, data)
    record(tally, "over the limit", answer, None, endpoint)
    tally.oversize += 1
    tally.oversize_refused += answer.status == 413
    data, body_type = body_for(
        endpoint, marker, "oversize chunked", endpoint.limit + MIB
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        received = b""
        try:
            sock.sendall(request_bytes(endpoint, body_type, None, digest_header(data)))
            for start in range(0, len(data), 64 * 1024):
                piece = data[start : start + 64 * 1024]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sock.sendall(b"0\r\n\r\n")
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # refused before the end: its answer is waiting
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError:
            pass
    answer = parse(received)
    record(tally, "over the limit", answer, None, endpoint)
    tally.oversize += 1
    tally.oversize_refused += answer.status == 413


def interrupted(port: int, endpoint: Endpoint, marker: str, reset: bool) -> None:
    """Half of a 2 MiB upload (or half the limit), then the connection closes."""
    size = min(2 * MIB, endpoint.limit // 2)
    data, body_type = body_for(endpoint, marker, "interrupted", size)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request_bytes(endpoint, body_type, len(data), digest_header(data)))
        sock.sendall(data[: len(data) // 2])
        if reset:  # a reset instead of an orderly close
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )


# -- Afterwards ----------------------------------------------------------------------


def serve_back(
    port: int, endpoints: list[Endpoint], marker: str, tally: Tally
) -> list[tuple[str, Answer]]:
    """Every URL on the uploading examples' pages that sends back an upload."""
    served = []
    seen: set[str] = set()
    for endpoint in endpoints:
        prefix = "/" + endpoint.example
        session = endpoint.session
        candidates = list(tally.locations)
        for page in (f"{prefix}/", endpoint.action):
            answer = session.get(page)
            if answer.mimetype == "text/html":
                candidates += links(answer.text, page)
        for url in candidates:
            if url in seen or not url.startswith(prefix + "/") or "/static/" in url:
                continue
            seen.add(url)
            answer = session.request("GET", url)
            if script(marker) in answer.body:  # the upload itself, not its name
                served.append((url, answer))
    return served


def renders_as_page(answer: Answer) -> bool:
    """Would a browser show this as a page of the site (and run its script)?"""
    if answer.header("Content-Disposition").lower().startswith("attachment"):
        return False
    if answer.mimetype in PAGE_TYPES:
        return True
    nosniff = answer.header("X-Content-Type-Options").lower() == "nosniff"
    return answer.mimetype in SNIFFED_TYPES and not nosniff


def snapshot(root: Path) -> dict[Path, tuple[int, int]]:
    return {
        path: (stat.st_size, stat.st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file() and (stat := path.stat())
    }


def marked_elsewhere(marker: str, root: Path) -> list[Path]:
    """Files named with the marker outside the check's own folder: where a
    traversal would have put them (the repository, the temporary folder)."""
    places = [root.parent, Path(tempfile.gettempdir()), ROOT, Path.cwd(), Path.home()]
    found = {p for place in places for p in place.glob(f"*{marker}*")}
    for folder in ("examples", "cookbook", "stress", "tests", "instance"):
        found |= set((ROOT / folder).rglob(f"*{marker}*"))
    return sorted(p for p in found if not p.is_relative_to(root))


def report(
    root: Path,
    temporary: Path,
    before: dict[Path, tuple[int, int]],
    endpoints: list[Endpoint],
    tally: Tally,
    served: list[tuple[str, Answer]],
    marker: str,
    log: str,
) -> list[Figure]:
    after = snapshot(root)
    new = [
        p
        for p, stamp in after.items()
        if before.get(p) != stamp and not p.is_relative_to(temporary)
    ]
    copies = [p for p in new if marker.encode() in p.read_bytes()]
    # Each example's upload folder: where its complete, accepted uploads are.
    complete = [p for p in copies if p.read_bytes() in tally.accepted]
    folders = Counter(p.parent for p in complete)
    outside = [p for p in copies if p.parent not in folders] + marked_elsewhere(
        marker, root
    )
    unsafe = [p for p in complete if not SAFE_NAME.fullmatch(p.name)]
    partial = [p for p in copies if p not in complete and p.parent in folders]
    partial += [p for p in new if p.name.startswith(".") and p not in partial]
    partial += [p for p in temporary.rglob("*") if p.is_file()]
    pages = [(url, a) for url, a in served if renders_as_page(a)]
    for label, paths in (
        ("outside", outside),
        ("unsafe name", unsafe),
        ("left behind", partial),
    ):
        for path in paths:
            print(f"  ! {label}: {path}")
    for url, answer in pages:
        print(f"  ! served as a page: {url} {answer.header('Content-Type')}")
    for error in tally.errors:
        print(f"  ! {error}")
    if "Traceback" in log:
        print("  the server logged:\n" + log[log.index("Traceback") :][:2000])
    sent = ", ".join(f"{kind} {n}" for kind, n in tally.sent.items())
    stored = ", ".join(str(f.relative_to(root)) for f in folders)
    print(f"  sent: {sent}; {len(complete)} stored in {stored}")
    return [
        at_least("upload endpoints found", len(endpoints), 1),
        at_least("attack uploads sent", sum(tally.sent.values()), 1),
        at_most("5xx answers or dropped connections", len(tally.errors)),
        at_most("files written outside the upload folder", len(outside)),
        at_most("stored names with a path, NUL or non-ASCII", len(unsafe)),
        all_of(
            "uploads over the limit refused with 413",
            tally.oversize_refused,
            tally.oversize,
        ),
        at_most(
            f"uploads served inline as a page (of {len(served)} served back)",
            len(pages),
        ),
        at_least("stored uploads served back (checked above)", len(served), 1),
        at_most("temporary or partial files left behind", len(partial)),
    ]
