"""Malformed input at scale, over real sockets.

The gallery runs in a server process of its own (Werkzeug's threaded server,
as `make run` serves it), CSRF on, a fresh secret. Several client threads
send it generated requests, spread evenly over every route of every example:
odd path values (encoded slashes, %00, .., very long segments, Unicode), odd
methods, query strings, form, multipart, JSON and raw bodies under wrong
content types, nameless and duplicated multipart parts, huge headers and
bodies, bad Host headers, malformed request lines. Half the bodies carry the
page's real CSRF token and session cookie, so that they reach the views.
Whatever the draws, every route that takes a body also gets JSON nested
deeper than Python's parser goes (found so: three examples answered 500).

Figures: requests sent, routes tried, 5xx answers (0), dropped connections
(0), and the server's memory after warm-up and at the end (bounded).

Not sent: a request line that never ends (a TLS greeting, with no newline)
or a body shorter than its Content-Length: the server rightly waits for the
rest. Nor an empty line before the request line, which RFC 9112 asks servers
to skip and Python's http.server (under Werkzeug's development server)
answers by closing the connection: no fault of the examples.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import secrets
import threading
import time
import uuid
from collections import Counter
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import quote

from . import all_of
from . import at_least
from . import at_most
from . import environment
from . import Figure
from . import MIB
from . import private_instance_folders
from . import table
from .client import forms
from .client import links
from .client import raw
from .client import request
from .client import Session
from .servers import GalleryServer
from .servers import memory
from .targets import discover
from .targets import Route
from .targets import Target

NAME = "Malformed input at scale"


@dataclass(frozen=True)
class Size:
    requests: int
    clients: int
    budget: float  # seconds for sending them all
    memory_growth: int  # bytes the server may grow by, from warm-up to the end


FULL = Size(requests=12_000, clients=8, budget=240, memory_growth=32 * MIB)
SHORT = Size(requests=1_000, clients=8, budget=45, memory_growth=32 * MIB)

# Look-alikes, written as escapes: fullwidth "evil", a right-to-left override,
# a zero-width space, a byte-order mark, the "fi" ligature, Arabic-Indic digits.
EVIL = "\uff45\uff56\uff49\uff4c"
RTL = "\u202e"
ODD_SEGMENTS = [
    "", "0", "-1", "1.5", "99999999999999999999", "..", ".", "%2e%2e",
    "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "%2F", "a%2Fb", "%2F%2F", "%5C",
    "..%5C..%5Cwin.ini", "%00", "a%00b", "%0d%0aSet-Cookie:%20x=1", "%20", "+",
    "%25", "%", "%zz", "%ff%fe", "%c0%ae%c0%ae", "<script>",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "'%20OR%201=1%20--", "null",
    "undefined", "[]", "{}", "NaN", "Infinity", "1e999", "0x10", "%EF%BC%8F",
    "%E2%80%AE", "~", "CON", "aux.txt", "index.html", "style.css", "favicon.ico",
    quote("\u00e9\u2603"), quote(f"{RTL}gnp.exe"), quote(EVIL), quote("\U0001f600"),
    quote("\u0130"), quote("\ufeff"), quote("\u200b"), quote("\ufb01le"),
    quote("\u0661\u0662"),
]  # fmt: skip
INT_SEGMENTS = [
    "1", "2", "3", str(2**63), str(2**64), "-0", "00001", "1_000", "+1",
    quote("\u0661\u0662"),
]  # fmt: skip
PATH_SEGMENTS = [
    "a/b", "../../etc/passwd", "a/%2e%2e/%2e%2e/b", "/etc/passwd", "style.css",
    "../../../../cookbook/services.py", ".%2e/.%2e/pyproject.toml", "a//b",
    "a/./b", "static/../..",
]  # fmt: skip
ODD_VALUES = [
    "", "0", "-1", "1.5", "99999999999999999999", "1e308", "NaN", "..", "%00",
    "\x00", "x" * 5000, "<script>alert(1)</script>", "' OR 1=1 --",
    "\u00e9\u2603", RTL, "null", "[]", "{}", "true", "//evil.example",
    "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
    "\r\nSet-Cookie: x=1", " ", "PUT", "DELETE", "patch", "2026-02-30",
    "9" * 400, "-" * 3, "\t", "a" * 300,
]  # fmt: skip
ODD_QUERIES = [
    "a=%zz", "&&=&", "a" * 5000, "%00=%00", "a=1&a=2&a=3", "[]=1", "a[b]=c",
    ";;", "=", "?", "%E2%80%AE=1", "next=%2F%2Fevil.example", "lang=" + "x" * 300,
]  # fmt: skip
ODD_METHODS = [
    "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT", "PROPFIND",
    "FOO", "get", "M-SEARCH", "X" * 50,
]  # fmt: skip
BAD_HOSTS = [
    "a..b", "x" * 64 + ".example", ".", "x" * 300, "evil.example",
    "127.0.0.1:99999", "[::1", "", "a b", "localhost:abc", "127.0.0.1:0",
    "-x-.example", "xn--.example",
]  # fmt: skip
ACCEPTS = ["text/html", "application/json", "*/*", "", "a/b;q=x", "text/html;q=0"]
LANGUAGES = ["de", "fr;q=0.5,*", "x" * 1000, "", "en;q=abc"]
BAD_COOKIES = [
    "{name}=garbage", "{name}=" + "A" * 4000, "a=b; " * 200, "{name}=.eJw%%%",
    "=;=;", '{name}="unterminated', "{name}=1; {name}=2",
]  # fmt: skip
CONDITIONS = [
    ("If-None-Match", "garbage"), ("If-None-Match", 'W/"abc"'),
    ("If-None-Match", "*"), ("If-None-Match", '"' * 9),
    ("If-Modified-Since", "garbage"),
    ("If-Modified-Since", "Mon, 32 Foo 2026 99:99:99 GMT"),
    ("Range", "bytes=0-0"), ("Range", "bytes=-1"), ("Range", "bytes=99999999-"),
    ("Range", "bytes=5-1"), ("Range", "bytes=a-b"), ("Range", "bytes=0-1," * 200),
    ("Range", "lines=1-2"), ("If-Range", "garbage"),
]  # fmt: skip
ODD_HEADERS = [
    ("X-Forwarded-For", "1.1.1.1, garbage"), ("X-Forwarded-Proto", "gopher"),
    ("X-Forwarded-Host", "evil.example"), ("Authorization", "Basic !!!"),
    ("Authorization", "Bearer " + "x" * 1000), ("X-HTTP-Method-Override", "DELETE"),
    ("Content-Encoding", "gzip"), ("Origin", "https://evil.example"),
    ("Referer", "https://evil.example/"), ("Transfer-Encoding", "identity"),
]  # fmt: skip
CONTENT_TYPES = [
    "application/json", "application/x-www-form-urlencoded",
    "multipart/form-data", "multipart/form-data; boundary=",
    "multipart/mixed; boundary=B", "text/plain", "application/xml",
    "application/octet-stream", "", "text/html; charset=utf-16",
    "application/json; charset=latin-1", "application/vnd.api+json",
    "image/png", "*/*", ";;;",
]  # fmt: skip
FORM_TYPES = ["application/x-www-form-urlencoded"] * 4 + [
    "text/plain",
    "application/json",
]
JSON_TYPES = ["application/json"] * 5 + [
    "text/plain",
    "application/json; charset=utf-16",
]
BAD_JSON = [
    "{", "[1,", "nul", '{"a":}', "\xff\xfe", '{"a": 1, "a": 2}', "1" * 5000,
    "NaN", json.dumps({"x": "y" * 3000}),
    json.dumps([1, "a", None, {"b": [True]}]),
]  # fmt: skip
UPLOAD_NAMES = [
    "../../evil.html", "..\\..\\evil.html", "/etc/passwd", "evil\x00.txt",
    "evil.html.txt", "evil.txt.html", f"{EVIL}.html", f"evil{RTL}lmth.txt", "",
    ".", "..", "a" * 300 + ".txt", "CON.txt", "\u00e9\u2603.svg", 'x";name="y',
    "report.pdf",
]  # fmt: skip
UPLOAD_TYPES = ["text/html", "image/svg+xml", "application/octet-stream", ""]
HUGE_TYPES = [
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=B",
    "application/octet-stream", "application/json",
]  # fmt: skip
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "505 version", "5xx", "dropped")


@dataclass
class Site:
    """What a warm-up visit learnt about a target: real URLs, fields, a session."""

    target: Target
    known: dict[str, list[str]] = field(default_factory=dict)  # rule -> real paths
    fields: list[str] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)
    token: str | None = None


@dataclass
class Planned:
    """One request to send: through http.client, or as raw bytes."""

    site: Site
    route: Route
    method: str
    target: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    raw: bytes | None = None
    what: str = "http"
    # A request line naming an HTTP version the server does not speak: 505
    # HTTP Version Not Supported is the right answer, not a server error.
    other_version: bool = False


@dataclass
class Outcome:
    site: str
    route: str
    what: str
    method: str
    target: str
    status: int
    status_line: bool
    other_version: bool
    error: str
    sample: bytes


def run(short: bool = False, seed: int | None = None) -> list[Figure]:
    size = SHORT if short else FULL
    seed = seed if seed is not None else random.SystemRandom().randrange(10**6)
    print(f"{NAME}: {size.requests:,} requests, {size.clients} clients, seed {seed}")
    with (
        private_instance_folders(),
        environment(FLASK_SECRET_KEY=secrets.token_hex()),
    ):
        # Built here only to read their URL maps; the server builds its own.
        targets = discover()
    with GalleryServer() as server, ThreadPoolExecutor(size.clients) as pool:
        sites = list(pool.map(lambda target: warm_up(server.port, target), targets))
        print(f"  warm-up: {sum(len(s.known) for s in sites)} routes visited")
        before, _ = memory(server.pid)
        outcomes, elapsed = send_all(server.port, sites, size, seed, server.pid)
        after, peak = memory(server.pid)
        log = server.output()
    return report(sites, outcomes, elapsed, size, (before, after, peak), log)


# -- Warm-up: a visit to every page, as a browser would ---------------------------


def warm_up(port: int, target: Target, pages: int = 40) -> Site:
    """Follow the target's links from its index: real URLs, form fields, a token."""
    site = Site(target)
    session = Session(port)
    names = {"id", "name", "page", "q", "next", "csrf_token", "_method", "file"}
    queue = [target.prefix + "/"] + [
        target.prefix + route.rule
        for route in target.routes
        if "GET" in route.methods and not route.arguments
    ]
    seen: set[str] = set()
    while queue and len(seen) < pages:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        route = target.route_for(path)
        if route is not None:
            site.known.setdefault(route.rule, []).append(path)
        answer = session.get(path)
        if answer.mimetype != "text/html":
            continue
        for form in forms(answer.text, path):
            names.update(i.name for i in form.inputs)
            site.token = site.token or form.csrf_token
        queue += [
            link
            for link in links(answer.text, path)
            if link.startswith(target.prefix + "/") and "/static/" not in link
        ]
    site.fields = sorted(names)
    site.cookies = dict(session.cookies)
    return site


# -- Sending -------------------------------------------------------------------------


def send_all(
    port: int, sites: list[Site], size: Size, seed: int, pid: int
) -> tuple[list[Outcome | None], float]:
    """Every request, from `size.clients` threads; None for those past the budget."""
    started = time.monotonic()
    deadline = started + size.budget
    done = 0
    lock = threading.Lock()

    fixed = battery(sites)

    def one(number: int) -> Outcome | None:
        nonlocal done
        if time.monotonic() > deadline:
            return None
        if number < len(fixed):
            planned = deep_json(port, *fixed[number])
        else:
            rng = random.Random(f"{seed}-{number}")  # noqa: S311 - reproducible, not secret
            planned = plan(number, port, sites, rng)
        outcome = send(port, planned)
        with lock:
            done += 1
            if done % 1000 == 0:
                rss, _ = memory(pid)
                seconds = time.monotonic() - started
                print(f"  {done:,} sent, {seconds:.0f} s, server {rss / MIB:.0f} MiB")
        return outcome

    with ThreadPoolExecutor(size.clients) as pool:
        outcomes = list(pool.map(one, range(size.requests)))
    return outcomes, time.monotonic() - started


def send(port: int, planned: Planned) -> Outcome:
    if planned.raw is not None:
        answer = raw(port, planned.raw)
    else:
        answer = request(
            port, planned.method, planned.target, planned.headers, planned.body
        )
    return Outcome(
        site=planned.site.target.name,
        route=planned.route.rule,
        what=planned.what,
        method=planned.method,
        target=planned.target[:160],
        status=answer.status,
        status_line=answer.status_line,
        other_version=planned.other_version,
        error=answer.error,
        sample=answer.body[:400] if answer.status >= 500 else b"",
    )


# -- Generating ----------------------------------------------------------------------


def battery(sites: list[Site]) -> list[tuple[Site, Route, str, str]]:
    """What every route that takes a body gets for sure, whatever the draws:
    JSON nested deeper than Python's parser goes (a RecursionError, a 500,
    unless the view turns it into a 400), with the page's token and cookie."""
    return [
        (site, route, method, opening)
        for site in sites
        for route in site.target.routes
        for method in sorted(set(route.methods) & BODY_METHODS)
        for opening in ("[", '{"a":')
    ]


def deep_json(
    port: int, site: Site, route: Route, method: str, opening: str
) -> Planned:
    known = site.known.get(route.rule)
    target = (
        known[0]
        if known
        else site.target.prefix + route.fill(["1"] * len(route.arguments))
    )
    planned = Planned(site, route, method, target, what="deep JSON")
    planned.headers = [("Host", f"127.0.0.1:{port}"), ("Accept", "application/json")]
    if site.cookies:
        cookies = "; ".join(f"{k}={v}" for k, v in site.cookies.items())
        planned.headers.append(("Cookie", cookies))
    if site.token:
        planned.headers.append(("X-CSRFToken", site.token))
    planned.headers.append(("Content-Type", "application/json"))
    limit = min(site.target.limit or MIB, MIB)
    planned.body = (opening * ((limit - 10) // len(opening))).encode()
    planned.headers.append(("Content-Digest", digest_of(planned.body)))
    return planned


def plan(number: int, port: int, sites: list[Site], rng: random.Random) -> Planned:
    """Request `number`: targets in turn, each one's routes in turn, the rest drawn."""
    site = sites[number % len(sites)]
    routes = site.target.routes
    route = routes[(number // len(sites)) % len(routes)]
    kind = rng.choices(["http", "raw", "huge"], weights=[80, 16, 4])[0]
    planned = Planned(site, route, method(rng, route), path(rng, site, route))
    planned.target += query(rng, site)
    planned.headers = headers(rng, port, site)
    planned.body, content_type = body(rng, site)
    if content_type is not None:
        planned.headers.append(("Content-Type", content_type))
    if planned.body and rng.random() < 0.2:
        planned.headers.append(("Content-Digest", digest(rng, planned.body)))
    if kind == "raw":
        return raw_request(rng, port, planned)
    if kind == "huge":
        return huge(rng, planned)
    return planned


def method(rng: random.Random, route: Route) -> str:
    own = [m for m in route.methods if m not in {"HEAD", "OPTIONS"}] or ["GET"]
    return rng.choice(own) if rng.random() < 0.7 else rng.choice(ODD_METHODS)


def path(rng: random.Random, site: Site, route: Route) -> str:
    known = site.known.get(route.rule)
    if known and rng.random() < 0.35:
        return rng.choice(known).split("?")[0]
    values = []
    for converter, _ in route.arguments:
        choices = list(ODD_SEGMENTS)
        if converter == "int":
            choices += INT_SEGMENTS * 3
        elif converter == "uuid":
            value = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            choices += [value, value.upper(), value.replace("-", ""), f"%7B{value}%7D"]
        elif converter == "path":
            choices += PATH_SEGMENTS * 3
        elif converter == "any":
            options = route.rule.split("any(", 1)[1].split(")", 1)[0]
            choices += [o.strip() for o in options.split(",")] * 3
        roll = rng.random()
        if roll < 0.08:
            values.append("x" * rng.choice([256, 1000, 5000, 20000]))
        elif roll < 0.12:
            values.append(quote("\u00e9") * rng.choice([100, 2000]))
        else:
            values.append(rng.choice(choices))
    return site.target.prefix + route.fill(values)


def encode(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def query(rng: random.Random, site: Site) -> str:
    roll = rng.random()
    if roll < 0.5:
        return ""
    if roll < 0.6:
        return "?" + rng.choice(ODD_QUERIES)
    names = site.fields + [value[:20] for value in ODD_VALUES]
    return "?" + encode(
        [(rng.choice(names), rng.choice(ODD_VALUES)) for _ in range(rng.randint(1, 4))]
    )


def headers(rng: random.Random, port: int, site: Site) -> list[tuple[str, str]]:
    host = rng.choice(BAD_HOSTS) if rng.random() < 0.1 else f"127.0.0.1:{port}"
    chosen = [("Host", host), ("Accept", rng.choice(ACCEPTS))]
    if rng.random() < 0.3:
        chosen.append(("Accept-Language", rng.choice(LANGUAGES)))
    if site.cookies and rng.random() < 0.5:
        cookies = "; ".join(f"{k}={v}" for k, v in site.cookies.items())
        chosen.append(("Cookie", cookies))
    elif rng.random() < 0.3:
        name = rng.choice([*site.cookies, "session", "visitor"])
        chosen.append(("Cookie", rng.choice(BAD_COOKIES).format(name=name)))
    if site.token and rng.random() < 0.5:
        chosen.append(("X-CSRFToken", site.token))
    elif rng.random() < 0.1:
        chosen.append(("X-CSRFToken", rng.choice(["", "garbage", "x" * 2000])))
    if rng.random() < 0.2:
        chosen.append(rng.choice(CONDITIONS))
    if rng.random() < 0.05:
        chosen.append(rng.choice(ODD_HEADERS))
    if rng.random() < 0.05:
        chosen.append(("X-Big", "a" * rng.choice([8_000, 60_000])))
    return chosen


def body(rng: random.Random, site: Site) -> tuple[bytes, str | None]:
    """A body and its Content-Type (None: no Content-Type header)."""
    kind = rng.choices(
        ["none", "form", "multipart", "json", "raw"], weights=[25, 25, 20, 15, 15]
    )[0]
    token = [("csrf_token", site.token)] if site.token and rng.random() < 0.5 else []
    if kind == "none":
        return b"", None
    if kind == "form":
        pairs = token + [
            (rng.choice(site.fields), rng.choice(ODD_VALUES))
            for _ in range(rng.randint(0, 6))
        ]
        text = encode(pairs)
        if rng.random() < 0.15:
            text += rng.choice(["&%zz=%", "&a", "&=", "&" + "b" * 2000 + "=1"])
        return text.encode(), rng.choice(FORM_TYPES)
    if kind == "multipart":
        return multipart(rng, site, token)
    if kind == "json":
        limit = site.target.limit or 16_384
        document = rng.choice(
            [
                *BAD_JSON,
                json.dumps({rng.choice(site.fields): rng.choice(ODD_VALUES)}),
                json.dumps(rng.choice(ODD_VALUES)),
            ]
        )
        if rng.random() < 0.25:
            # Deeper than Python's parser goes: a RecursionError, not a 400,
            # unless the view catches it.
            opening = rng.choice(["[", '{"a":'])
            document = opening * min((limit - 10) // len(opening), 50_000)
        return document.encode("utf-8", "surrogateescape"), rng.choice(JSON_TYPES)
    return rng.randbytes(rng.randint(0, 2000)), rng.choice(CONTENT_TYPES)


def multipart(
    rng: random.Random, site: Site, token: list[tuple[str, str]]
) -> tuple[bytes, str | None]:
    boundary = "B" + str(rng.getrandbits(32))
    parts = [part(f'name="{name}"', value.encode()) for name, value in token]
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(site.fields)
        roll = rng.random()
        if roll < 0.15:  # a part without a name
            parts.append(part(rng.choice(["", 'name=""', "filename=a.txt"]), b"v"))
        elif roll < 0.3:  # the same part twice
            parts += [part(f'name="{name}"', b"1"), part(f'name="{name}"', b"2")]
        elif roll < 0.6:
            disposition = f'name="{name}"; filename="{rng.choice(UPLOAD_NAMES)}"'
            content = rng.choice([b"<script>alert(1)</script>", rng.randbytes(300)])
            parts.append(part(disposition, content, rng.choice(UPLOAD_TYPES)))
        else:
            parts.append(part(f'name="{name}"', rng.choice(ODD_VALUES).encode()))
    separator = b"--" + boundary.encode()
    data = b"".join(separator + b"\r\n" + p + b"\r\n" for p in parts)
    ending = rng.random()
    if ending < 0.85:
        data += separator + b"--\r\n"
    elif ending < 0.9:  # a part cut off in its headers
        data += separator + b'\r\nContent-Disposition: form-data; name="x"\r\n'
    content_type = f"multipart/form-data; boundary={boundary}"
    if rng.random() < 0.1:
        content_type = rng.choice(
            [
                "multipart/form-data",
                "multipart/form-data; boundary=other",
                f'multipart/form-data; boundary="{boundary}"',
                f"multipart/related; boundary={boundary}",
            ]
        )
    return data, content_type


def part(disposition: str, content: bytes, content_type: str = "") -> bytes:
    head = "Content-Disposition: form-data" + (
        f"; {disposition}" if disposition else ""
    )
    if content_type:
        head += f"\r\nContent-Type: {content_type}"
    return head.encode("utf-8") + b"\r\n\r\n" + content


def digest_of(data: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"


def digest(rng: random.Random, data: bytes) -> str:
    good = base64.b64encode(hashlib.sha256(data).digest()).decode()
    return rng.choice(
        [
            f"sha-256=:{good}:",
            f"sha-512=:{good}:",
            "sha-256=:abc:",
            "md5=:x:",
            "sha-256=" + "A" * 500,
            ":",
        ]
    )


def raw_request(rng: random.Random, port: int, planned: Planned) -> Planned:
    """The same request, broken where http.client would never break it."""
    if rng.random() < 0.45:
        line = rng.choice(request_lines(rng, port, planned))
        planned.raw = line.encode("utf-8", "surrogateescape")
        planned.what = "request line"
        first = line.split("\n", 1)[0].rstrip()
        planned.other_version = first.endswith(("HTTP/9.9", "HTTP/2.0"))
        return planned
    text = rng.choice(broken_headers(rng, port, planned))
    data = text.encode("utf-8", "surrogateescape")
    if "chunked\r\n" in text and "xchunked" not in text:
        data += chunked(rng, planned.body)
    else:
        data += planned.body
    planned.raw = data
    planned.what = "headers"
    return planned


def request_lines(rng: random.Random, port: int, planned: Planned) -> list[str]:
    """Request lines that no client library would send."""
    method, target = planned.method, planned.target
    prefix = planned.site.target.prefix
    bare = prefix.lstrip("/")
    rest = f"\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    long = "a" * rng.choice([60_000, 70_000])
    return [
        f"{method} {target}\r\n\r\n",  # HTTP/0.9
        f"{method} {target} HTTP/9.9{rest}",
        f"{method} {target} HTTP/1.1x{rest}",
        f"{method} {target} HTTP/1{rest}",
        f"{method} {target} http/1.1{rest}",
        f"{method} {target} {target} HTTP/1.1{rest}",
        f"{method}\t{target}\tHTTP/1.1{rest}",
        f"{method}  {target}  HTTP/1.1{rest}",
        f"GET http://127.0.0.1:{port}{prefix}/ HTTP/1.1{rest}",
        f"GET http://evil.example{prefix}/ HTTP/1.1{rest}",
        f"GET /{prefix}/ HTTP/1.1{rest}",
        f"GET {bare}/ HTTP/1.1{rest}",
        f"OPTIONS * HTTP/1.1{rest}",
        f"GET * HTTP/1.1{rest}",
        f"GET ?a=b HTTP/1.1{rest}",
        f"GET %2F{bare} HTTP/1.1{rest}",
        f"GET {prefix}/%0d%0aX HTTP/1.1{rest}",
        f"GET {prefix}/\u00e9\u2603 HTTP/1.1{rest}",
        f"GET {prefix}/\x00 HTTP/1.1{rest}",
        f"GET {prefix}/a\rb HTTP/1.1{rest}",
        f"BREW {prefix}/pot HTTP/1.1{rest}",
        f"GET{rest}",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        f"GET {prefix}/{long} HTTP/1.1{rest}",
        f"GET {prefix}/ HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n",
    ]


def broken_headers(rng: random.Random, port: int, planned: Planned) -> list[str]:
    """Heads with a sound request line and headers no client library would send."""
    head = f"{planned.method} {planned.target} HTTP/1.1\r\n"
    host = f"Host: 127.0.0.1:{port}\r\n"
    tail = "Connection: close\r\n\r\n"
    given = "".join(f"{n}: {v}\r\n" for n, v in planned.headers if n != "Host")
    length = len(planned.body)
    many = "".join(f"X-{i}: y\r\n" for i in range(rng.choice([99, 150])))
    start = f"{head}{host}{given}"
    return [
        f"{head}{host}NoColonHere\r\n{given}{tail}",
        f"{head}{host}X-Folded: a\r\n b\r\n{given}{tail}",
        f"{head}Host : 127.0.0.1\r\n{given}{tail}",
        f"{head}{host}X-Nul: a\x00b\r\n{given}{tail}",
        f"{head}{host}X-Bytes: \udcff\udcfe\r\n{given}{tail}",  # bytes no text
        f"{head}{host}{many}{tail}",
        f"{head}{host}X-Huge: {'a' * 70_000}\r\n{tail}",
        f"{head}{tail}",  # no Host
        f"{head}{host}Host: evil.example\r\n{tail}",
        f"{start}Expect: 100-continue\r\nContent-Length: {length}\r\n{tail}",
        f"{start}Content-Length: -1\r\n{tail}",
        f"{start}Content-Length: abc\r\n{tail}",
        f"{start}Content-Length: 0\r\nContent-Length: {length}\r\n{tail}",
        f"{start}Content-Length: {length}, {length}\r\n{tail}",
        f"{start}Transfer-Encoding: chunked\r\n{tail}",
        f"{start}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n{tail}",
        f"{start}Transfer-Encoding: gzip, chunked\r\n{tail}",
        f"{start}Transfer-Encoding: xchunked\r\nContent-Length: {length}\r\n{tail}",
    ]


def chunked(rng: random.Random, content: bytes) -> bytes:
    """The body in chunks, sometimes with a broken chunk header."""
    pieces = [content[i : i + 100] for i in range(0, len(content), 100)]
    data = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
    roll = rng.random()
    if roll < 0.1:
        data = b"zz\r\n" + data
    elif roll < 0.2:
        data = b"-5\r\nabc\r\n" + data
    elif roll < 0.3:
        data = b"5;ext=\x01\r\nabcde\r\n" + data
    return data + b"0\r\n\r\n"


def huge(rng: random.Random, planned: Planned) -> Planned:
    """A body over the target's limit (sent in full), or a huge set of headers."""
    limit = planned.site.target.limit or MIB
    if rng.random() < 0.25:
        count = rng.choice([50, 98])
        planned.headers += [(f"X-Many-{i}", "v" * 500) for i in range(count)]
        planned.what = "huge headers"
        return planned
    planned.method = rng.choice(["POST", "PUT", planned.method])
    planned.body = bytes(min(rng.choice([limit + 1, 2 * limit, limit + MIB]), 24 * MIB))
    planned.headers = [(n, v) for n, v in planned.headers if n != "Content-Type"]
    planned.headers.append(("Content-Type", rng.choice(HUGE_TYPES)))
    planned.what = "huge body"
    return planned


# -- Report --------------------------------------------------------------------------


def status_class(outcome: Outcome) -> str:
    if outcome.status == 0:
        return "dropped"
    if outcome.status == 505 and outcome.other_version:
        return "505 version"
    return f"{outcome.status // 100}xx"


def report(
    sites: list[Site],
    outcomes: list[Outcome | None],
    elapsed: float,
    size: Size,
    memory_figures: tuple[int, int, int],
    log: str,
) -> list[Figure]:
    sent = [o for o in outcomes if o is not None]
    by_site: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in sent:
        by_site[outcome.site][status_class(outcome)] += 1
    totals = Counter(status_class(o) for o in sent)
    names = [site.target.name for site in sites]
    rows = [
        (name, f"{counts.total():,}", *(f"{counts[c]:,}" for c in STATUS_CLASSES))
        for name, counts in [*((n, by_site[n]) for n in names), ("all", totals)]
    ]
    print(table(rows, ("requests to", "tried", *STATUS_CLASSES)))
    kinds = Counter(o.what for o in sent)
    print("  by kind: " + ", ".join(f"{k} {n:,}" for k, n in kinds.most_common()))
    without = sum(1 for o in sent if o.status and not o.status_line)
    print(
        f"  answered without a status line (HTTP/0.9-style request lines): "
        f"{without:,}; 505 to HTTP/9.9 or 2.0: {totals['505 version']:,}"
    )
    rate = len(sent) / max(elapsed, 0.001)
    print(f"  {len(sent):,} requests in {elapsed:.0f} s ({rate:.0f} a second)")

    errors = [o for o in sent if status_class(o) == "5xx"]
    drops = [o for o in sent if o.status == 0]
    for o in (errors + drops)[:15]:
        print(
            f"  ! {o.status or 'dropped'} {o.site} {o.what} {o.method} "
            f"{o.target[:100]!r} {o.error} {o.sample[:200]!r}"
        )
    tracebacks = log.count("Traceback (most recent call last)")
    if tracebacks:
        first = log[log.index("Traceback (most recent call last)") :][:2000]
        print(f"  the server logged {tracebacks} traceback(s); the first:\n{first}")

    routes = {(s.target.name, r.rule) for s in sites for r in s.target.routes}
    reached = {(o.site, o.route) for o in sent}
    before, after, peak = memory_figures
    limit = before + size.memory_growth
    print(
        f"  server memory: {before / MIB:.0f} MiB after warm-up, "
        f"{after / MIB:.0f} MiB after, {peak / MIB:.0f} MiB at the peak; "
        f"limit {limit / MIB:.0f} MiB (warm-up + {size.memory_growth / MIB:.0f} MiB)"
    )
    return [
        at_least("requests sent", len(sent), size.requests),
        all_of("routes of every example tried", len(reached & routes), len(routes)),
        at_most("5xx answers", len(errors)),
        at_most("dropped connections", len(drops)),
        Figure(
            "server memory after the run",
            f"{after / MIB:.0f} MiB (after warm-up {before / MIB:.0f}, "
            f"peak {peak / MIB:.0f})",
            f"<= {limit / MIB:.0f} MiB",
            after <= limit,
        ),
    ]
