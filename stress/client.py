"""A small HTTP client for the checks: http.client, raw sockets, cookies, forms.

Every request opens its own connection to 127.0.0.1 with a timeout, so one
stuck request never holds up another and the checks stay bounded in time.
"""

from __future__ import annotations

import http.client
import re
import socket
import warnings
from dataclasses import dataclass
from dataclasses import field
from email.message import Message
from http.cookies import CookieError
from http.cookies import SimpleCookie
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from bs4 import MarkupResemblesLocatorWarning
from bs4 import Tag

TIMEOUT = 30.0
# http.server's own error page, sent without a status line to a request whose
# line it could not read (it then takes the client for HTTP/0.9).
ERROR_CODE = re.compile(rb"Error code: (\d{3})")
# Answers to these are never more than this much read into memory.
READ_LIMIT = 4 * 1024 * 1024


@dataclass
class Answer:
    """What came back: a status, or 0 when the connection gave no answer at all."""

    status: int
    headers: Message = field(default_factory=Message)
    body: bytes = b""
    # False when the server answered without a status line (HTTP/0.9 style).
    status_line: bool = True
    error: str = ""  # why nothing came back

    @property
    def dropped(self) -> bool:
        return self.status == 0

    def header(self, name: str) -> str:
        return str(self.headers.get(name, ""))

    @property
    def mimetype(self) -> str:
        return self.header("Content-Type").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


Headers = list[tuple[str, str]]


def port_of(url: str) -> int:
    """The port of a server's URL, "http://127.0.0.1:8000" -> 8000."""
    return int(url.rsplit(":", 1)[1])


def request(
    port: int,
    method: str,
    target: str,
    headers: Headers | None = None,
    body: bytes = b"",
    *,
    timeout: float = TIMEOUT,
) -> Answer:
    """One request through http.client; the Host header is whatever `headers` say."""
    headers = list(headers or [])
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", f"127.0.0.1:{port}"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        try:
            connection.putrequest(
                method, target, skip_host=True, skip_accept_encoding=True
            )
            for name, value in headers:
                connection.putheader(name, value)
            if body and not any(n.lower() == "content-length" for n, _ in headers):
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
        except OSError as error:
            # The server may have answered (a 413) and stopped reading: the
            # answer is still there to be read.
            if connection.sock is None:  # never connected
                return Answer(0, error=f"{type(error).__name__}: {error}")
            sent_error = f"{type(error).__name__} while sending"
        else:
            sent_error = ""
        try:
            response = connection.getresponse()
            data = response.read(READ_LIMIT)
        except (OSError, http.client.HTTPException) as error:
            return Answer(0, error=sent_error or f"{type(error).__name__}: {error}")
        return Answer(response.status, response.headers, data)
    finally:
        connection.close()


def raw(port: int, data: bytes, *, timeout: float = TIMEOUT) -> Answer:
    """Send bytes as they are, half-close, and read the answer until the server closes.

    For what http.client refuses to send: malformed request lines, bytes
    that are no text, headers beyond any limit.
    """
    chunks: list[bytes] = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            try:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # answered and closed before reading it all: read the answer
            size = 0
            while size < READ_LIMIT:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except OSError as error:
        if not chunks:
            return Answer(0, error=f"{type(error).__name__}: {error}")
    return parse(b"".join(chunks))


def parse(data: bytes) -> Answer:
    """An answer read off a socket: status line, headers, body."""
    if not data:
        return Answer(0, error="closed without an answer")
    if not data.startswith(b"HTTP/"):
        match = ERROR_CODE.search(data)
        return Answer(
            int(match.group(1)) if match else 200, body=data, status_line=False
        )
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError):
        return Answer(0, body=data, error=f"unreadable status line {status_line!r}")
    if 100 <= status < 200 and body:
        return parse(body)  # an interim answer (100 Continue): the final one follows
    headers = Message()
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return Answer(status, headers, body)


class Session:
    """Requests that keep the cookies the server sets, like one browser tab."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> Headers:
        if not self.cookies:
            return []
        return [("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))]

    def request(
        self,
        method: str,
        target: str,
        headers: Headers | None = None,
        body: bytes = b"",
        *,
        timeout: float = TIMEOUT,
    ) -> Answer:
        answer = request(
            self.port,
            method,
            target,
            [*(headers or []), *self.cookie_header()],
            body,
            timeout=timeout,
        )
        self.keep_cookies(answer)
        return answer

    def keep_cookies(self, answer: Answer) -> None:
        for value in answer.headers.get_all("Set-Cookie") or []:
            try:
                cookie = SimpleCookie(value)
            except CookieError:
                continue
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, target: str) -> Answer:
        return self.request("GET", target, [("Accept", "text/html")])

    def submit(self, form: Form, values: dict[str, str] | None = None) -> Answer:
        """Send a form as a browser would: its fields, `values` over them."""
        fields = {**form.values, **(values or {})}
        return self.request(
            form.method,
            form.action,
            [("Content-Type", "application/x-www-form-urlencoded")],
            urlencode(fields).encode(),
        )


@dataclass
class Input:
    name: str
    type: str
    value: str
    attributes: dict[str, str]
    options: list[str] = field(default_factory=list)  # a select's option values


@dataclass
class Form:
    """A form on a page: where it goes, how, and what a browser would send."""

    action: str
    method: str
    inputs: list[Input]

    @property
    def values(self) -> dict[str, str]:
        """The fields a browser sends as the page stands (checkboxes unticked)."""
        return {
            i.name: i.value
            for i in self.inputs
            if i.type not in {"checkbox", "radio", "file", "submit", "button", "reset"}
            or (i.type in {"checkbox", "radio"} and "checked" in i.attributes)
        }

    @property
    def csrf_token(self) -> str | None:
        return self.values.get("csrf_token")

    @property
    def file_inputs(self) -> list[str]:
        return [i.name for i in self.inputs if i.type == "file"]


def soup(html: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        # A page of one word ("Gone") looks like a file name to BeautifulSoup.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(html, "html.parser")


def forms(html: str, page: str) -> list[Form]:
    """The forms of the page at path `page`, with actions as absolute paths."""
    found = []
    for tag in soup(html).find_all("form"):
        action = urljoin(page, str(tag.get("action") or page))
        inputs = []
        for element in tag.find_all(["input", "textarea", "select"]):
            if not isinstance(element, Tag) or not element.get("name"):
                continue
            default = "text" if element.name == "input" else element.name
            kind = str(element.get("type") or default).lower()
            options = [
                str(o.get("value", o.get_text()))
                for o in element.find_all("option")
                if isinstance(o, Tag)
            ]
            if element.name == "textarea":
                value = element.get_text()
            elif element.name == "select":
                selected = [
                    str(o.get("value", o.get_text()))
                    for o in element.find_all("option")
                    if isinstance(o, Tag) and o.has_attr("selected")
                ]
                value = (selected or options or [""])[0]
            else:
                value = str(element.get("value") or "")
            attributes = {k: str(v) for k, v in element.attrs.items()}
            inputs.append(Input(str(element["name"]), kind, value, attributes, options))
        method = str(tag.get("method") or "get").upper()
        found.append(Form(urlsplit(action).path or page, method, inputs))
    return found


def links(html: str, page: str) -> list[str]:
    """The local paths the page links to (anchors and assets), without fragments."""
    found = []
    for tag in soup(html).find_all(["a", "link", "script", "img", "source"]):
        for attribute in ("href", "src"):
            value = tag.get(attribute)
            if not isinstance(value, str) or not value:
                continue
            url = urlsplit(urljoin(page, value))
            if not url.scheme and not url.netloc and url.path.startswith("/"):
                found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found
