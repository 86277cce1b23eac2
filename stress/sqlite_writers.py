"""SQLite under concurrency.

Every example that keeps its data in SQLite (found by the database file it
creates in its instance folder) is served by Werkzeug's threaded server and
by gunicorn with three worker processes, each as deployed (a secret, CSRF
on). Eight writer threads, each a visitor with a session of its own, post
the example's own form (the first on its pages that stores a row) over and
over, each post with a unique marker in its text fields: 500 posts each, or
as many as fit in the time budget (a form that hashes a password is slow).

Afterwards every post the example accepted has its row in the database
(found by its marker), no row exists for a post it refused, nothing answered
5xx, and "database is locked" appears in no answer and no server log. A post
refused with the example's own 4xx (a demo's cap on rows, say) is counted
and shown, not lost.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from cookbook import catalogue

from . import all_of
from . import at_most
from . import environment
from . import Figure
from . import private_instance_folders
from . import quiet_example_logs
from . import table
from .client import Form
from .client import forms
from .client import links
from .client import Session
from .servers import Gunicorn
from .servers import Process
from .servers import ThreadedServer

NAME = "SQLite under concurrency"
LOCKED = "database is locked"
NO_FORM = "no form"
TEXT_TYPES = {"text", "textarea", "search", "email", "url", "tel", ""}


@dataclass(frozen=True)
class Size:
    writers: int
    posts: int  # by each writer, at most
    budget: float  # seconds for one example on one server, at most


# Each SQLite example on each server for `budget` seconds or `writers` x
# `posts` posts, whichever comes first: on two CPUs about 300 posts a second
# get through, and a form that hashes a password takes far longer a post.
# The sqlite3 example, the pattern itself, always gets all its posts.
FULL = Size(writers=8, posts=500, budget=12)
SHORT = Size(writers=8, posts=50, budget=0.5)
WHOLE = "sqlite3"
WHOLE_BUDGET = 120.0  # seconds: a bound, not a target


@dataclass
class Result:
    example: str
    server: str
    statuses: Counter[str] = field(default_factory=Counter)
    accepted: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    found: set[str] = field(default_factory=set)
    locked: int = 0
    refusals: Counter[str] = field(default_factory=Counter)  # first words of 4xx
    seconds: float = 0.0
    posts: int = 0
    writers: Counter[int] = field(default_factory=Counter)  # posts by writer

    @property
    def missing(self) -> set[str]:
        return self.accepted - self.found

    @property
    def stored_though_refused(self) -> set[str]:
        return self.found & self.refused


def run(short: bool = False) -> list[Figure]:
    size = SHORT if short else FULL
    run_id = secrets.token_hex(3)
    secret = secrets.token_hex()
    results: list[Result] = []
    unchecked: list[str] = []
    up: list[str] = []  # the servers still running after their last example
    # Room for every post in the notes (sqlite3), so its posts stay inserts.
    notes_max = str(size.writers * size.posts * 2)
    with (
        private_instance_folders() as root,
        environment(FLASK_SECRET_KEY=secret, FLASK_NOTES_MAX=notes_max),
    ):
        folders = sqlite_examples()
        print(
            f"{NAME}: {size.writers} writers x up to {size.posts} posts "
            f"(at most {size.budget:g} s) for each of {', '.join(folders)}"
        )
        for kind in ("threaded", "gunicorn"):
            # A new database in each: the workers create the tables as they start.
            instance_root = root / kind
            server: Process = (
                ThreadedServer(folders, instance_root, secret)
                if kind == "threaded"
                else Gunicorn(folders, instance_root, secret, workers=3)
            )
            with server:
                for folder in folders:
                    data = instance_root / catalogue.Example(folder).module
                    budget = WHOLE_BUDGET if folder == WHOLE and not short else None
                    result = write(
                        server.port, folder, kind, data, size, run_id, budget
                    )
                    if result is None:
                        unchecked.append(f"{folder} ({kind})")
                    elif isinstance(result, Result):
                        results.append(result)
                log = server.output()
                if server.process is not None and server.process.poll() is None:
                    up.append(kind)
                else:
                    print(f"  ! the {kind} server stopped; it said:\n{log[-3000:]}")
            if results:
                results[-1].locked += log.count(LOCKED)  # the server's, for all
    return [
        *report(results, unchecked, size, whole=not short),
        all_of("servers up to the end", len(up), 2),
    ]


def sqlite_examples() -> list[str]:
    """Examples whose app, once built, has a SQLite database in its instance folder."""
    found = []
    with private_instance_folders(), quiet_example_logs():
        for example in catalogue.discover():
            folder = Path(catalogue.load_app(example.module).instance_path)
            if any(is_sqlite(p) for p in folder.rglob("*") if p.is_file()):
                found.append(example.folder)
    return found


def is_sqlite(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(16) == b"SQLite format 3\x00"


# -- Writing -----------------------------------------------------------------------


def write(
    port: int,
    folder: str,
    kind: str,
    data: Path,
    size: Size,
    run_id: str,
    budget: float | None = None,
) -> Result | str | None:
    """The writers' run on one example; None when no form of it stores a row,
    NO_FORM when it has none to try."""
    found = find_form(port, folder, data, run_id)
    if found == NO_FORM:
        # Its database is for what the app keeps (view_decorators: its users),
        # with no form for visitors to write in.
        print(f"  {folder}: no form of its pages writes; nothing to check")
        return NO_FORM
    if found is None:
        print(f"  ! {folder}: no form of its pages stored a row; not checked")
        return None
    assert isinstance(found, tuple)
    page, form = found
    result = Result(folder, kind)
    deadline = time.monotonic() + (budget or size.budget)
    lock = threading.Lock()

    def writer(number: int) -> None:
        session = Session(port)
        own = next(
            (f for f in forms(session.get(page).text, page) if f.action == form.action),
            form,
        )
        for post in range(size.posts):
            if post and time.monotonic() > deadline:  # one post each at least
                return
            marker = f"r{run_id}t{number}n{post}"
            answer = session.submit(own, fill(own, marker))
            text = answer.text
            with lock:
                result.posts += 1
                result.writers[number] += 1
                result.statuses[
                    f"{answer.status // 100}xx" if answer.status else "dropped"
                ] += 1
                result.locked += LOCKED in text
                if 0 < answer.status < 400:
                    result.accepted.add(marker)
                else:
                    result.refused.add(marker)
                    if answer.status < 500:
                        result.refusals[reason(text)] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(size.writers) as pool:
        list(pool.map(writer, range(size.writers)))
    result.seconds = time.monotonic() - started
    result.found = markers_in(databases(data), run_id)
    return result


def find_form(
    port: int, folder: str, data: Path, run_id: str
) -> tuple[str, Form] | str | None:
    """The first POST form on the example's pages whose submission stores a row;
    NO_FORM when its pages have no form to try (a login form writes nothing)."""
    session = Session(port)
    queue: list[str] = [f"/{folder}/"]
    seen: set[str] = set()
    trial = 0
    while queue and len(seen) < 20:
        page = queue.pop(0)
        if page in seen or "/static/" in page:
            continue
        seen.add(page)
        answer = session.get(page)
        if answer.mimetype != "text/html":
            continue
        for form in forms(answer.text, page):
            writable = [i for i in form.inputs if i.type in TEXT_TYPES]
            if form.method != "POST" or not form.csrf_token or not writable:
                continue
            if form.action.rstrip("/").endswith("/login"):
                continue
            marker = f"r{run_id}trial{trial}"
            trial += 1
            posted = session.submit(form, fill(form, marker))
            if posted.status < 400 and marker in markers_in(databases(data), run_id):
                return page, form
        queue += [
            link.split("?")[0]
            for link in links(answer.text, page)
            if link.startswith(f"/{folder}/")
        ]
    return None if trial else NO_FORM


def fill(form: Form, marker: str) -> dict[str, str]:
    """What a visitor types: the marker in every text field, valid values elsewhere."""
    values = dict(form.values)
    for field_ in form.inputs:
        kind = field_.type
        if field_.attributes.get("inputmode") in {"decimal", "numeric"}:
            values[field_.name] = field_.attributes.get("placeholder") or "1"
        elif kind in {"text", "textarea", "search", "tel", ""}:
            values[field_.name] = marker
        elif kind == "email":
            values[field_.name] = f"{marker}@example.org"
        elif kind == "url":
            values[field_.name] = f"https://example.org/{marker}"
        elif kind == "password":
            values[field_.name] = "correct horse battery staple 42"
        elif kind == "number":
            values[field_.name] = field_.attributes.get("min") or field_.value or "1"
        elif kind == "date":
            values[field_.name] = "2026-01-15"
        elif kind == "checkbox":
            values[field_.name] = field_.value or "y"
        elif kind == "radio" and field_.name not in values:
            values[field_.name] = field_.value
        elif kind == "select" and not values.get(field_.name):
            values[field_.name] = next((o for o in field_.options if o), "")
    return values


def reason(text: str) -> str:
    """The gist of a refusal: the page's first error message, or its title."""
    match = re.search(
        r'class="(?:error|flash)[^"]*"[^>]*>\s*([^<]{1,80})', text
    ) or re.search(r"<title>([^<]{1,80})", text)
    return " ".join(match.group(1).split()) if match else text[:80]


def databases(instance_root: Path) -> list[Path]:
    return [p for p in instance_root.rglob("*") if p.is_file() and is_sqlite(p)]


def markers_in(paths: list[Path], run_id: str) -> set[str]:
    """Every marker of this run stored in any text column of any table."""
    pattern = re.compile(rf"r{run_id}t\d+n\d+|r{run_id}trial\d+")
    found: set[str] = set()
    for path in paths:
        with closing(
            sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        ) as db:
            tables = [
                row[0]
                for row in db.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                )
            ]
            for name in tables:
                columns = [row[1] for row in db.execute(f'PRAGMA table_info("{name}")')]
                for column in columns:
                    # The names come from the database's own schema, not input.
                    select = f'SELECT "{column}" FROM "{name}" '  # noqa: S608
                    query = select + f'WHERE CAST("{column}" AS TEXT) LIKE ?'
                    for (value,) in db.execute(query, (f"%r{run_id}%",)):
                        found.update(pattern.findall(str(value)))
    return found


# -- Report --------------------------------------------------------------------------


def report(
    results: list[Result], unchecked: list[str], size: Size, whole: bool
) -> list[Figure]:
    rows = [
        (
            r.example,
            r.server,
            f"{r.posts:,}",
            f"{len(r.accepted):,}",
            f"{len(r.accepted & r.found):,}",
            f"{len(r.refused):,}",
            f"{r.statuses['5xx']:,}",
            f"{r.locked:,}",
            f"{r.seconds:.1f} s",
        )
        for r in results
    ]
    print(
        table(
            rows,
            (
                "example",
                "server",
                "posts",
                "accepted",
                "rows found",
                "refused",
                "5xx",
                "locked",
                "time",
            ),
        )
    )
    for r in results:
        if r.refusals:
            print(
                f"  {r.example} ({r.server}) refused: "
                + "; ".join(f"{n} x {why}" for why, n in r.refusals.most_common(3))
            )
        for marker in sorted(r.missing)[:5]:
            print(f"  ! {r.example} ({r.server}): accepted {marker}, no row")
    accepted = sum(len(r.accepted) for r in results)
    found = sum(len(r.accepted & r.found) for r in results)
    stored_though_refused = sum(len(r.stored_though_refused) for r in results)
    errors = sum(r.statuses["5xx"] + r.statuses["dropped"] for r in results)
    locked = sum(r.locked for r in results)
    full = [r for r in results if r.posts == size.writers * size.posts]
    print(
        f"  {sum(r.posts for r in results):,} posts; all {size.writers} x {size.posts} "
        f"within {size.budget:g} s for: "
        + (", ".join(f"{r.example} ({r.server})" for r in full) or "none")
    )
    whole_figure = []
    if whole:
        expected = size.writers * size.posts
        whole_figure = [
            all_of(
                f"{WHOLE} posts, {size.writers} x {size.posts} on each server",
                sum(r.posts for r in results if r.example == WHOLE),
                2 * expected,
            )
        ]
    return [
        *whole_figure,
        all_of(
            f"examples x servers with all {size.writers} writers posting",
            sum(len(r.writers) == size.writers for r in results),
            len(results),
        ),
        all_of("accepted posts whose row is there", found, accepted),
        at_most("rows stored for refused posts", stored_though_refused),
        at_most("posts answered 5xx or dropped", errors),
        at_most("'database is locked' in answers and logs", locked),
        at_most("SQLite examples whose form could not be posted", len(unchecked)),
    ]
