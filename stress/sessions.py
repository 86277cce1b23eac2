"""Sessions and secrets, for every example that signs cookies (declares
`sessions`; an example that signs nothing needs no secret).

- Outside debug and testing, no such example starts without a string secret key
  (none, `12345`, `""`, `true`, `null`, `[1]` in FLASK_SECRET_KEY), and in
  debug mode each one starts with its development key (so the refusals are
  refusals, not crashes).
- Every session cookie an example sets in the gallery is HttpOnly,
  SameSite=Lax and confined to the example's path, and every example is
  configured so.
- In the gallery no example accepts another's session or CSRF token: each
  POST form is sent every other example's session cookie and token and must
  refuse them, while it accepts its own (and refuses none at all).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from werkzeug.test import Client

from cookbook import catalogue
from cookbook.gallery import create_gallery
from cookbook.services import free_port

from . import all_of
from . import at_most
from . import environment
from . import Figure
from . import private_instance_folders
from . import quiet_example_logs
from .client import Form
from .client import forms
from .client import links
from .targets import discover

NAME = "Sessions and secrets"
BAD_SECRETS = (None, "12345", '""', "true", "null", "[1]")
PAGES_PER_EXAMPLE = 20


@dataclass
class Visit:
    """One example seen by a visitor of the gallery: its first CSRF form."""

    folder: str
    session_cookies: list[str]  # each Set-Cookie header for the session
    form: Form | None = None
    cookie: str = ""  # the session cookie's value that goes with the form's token


def run(short: bool = False) -> list[Figure]:
    """The same in both forms: every example, every pair; it takes seconds."""
    print(f"{NAME}: secrets, session cookies, sessions across examples")
    examples = catalogue.discover()
    signing = [example for example in examples if example.has("sessions")]
    refused, tries, debug_started = secret_refusals(signing)
    # A Redis URL where nothing listens: a task a form starts is refused
    # (503) instead of landing in a developer's own Redis.
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with (
        private_instance_folders(),
        environment(FLASK_SECRET_KEY=secrets.token_hex(), REDIS_URL=nowhere),
        # Celery's example logs the Redis it cannot reach; the figures say all.
        quiet_example_logs(logging.CRITICAL),
    ):
        configs = {
            target.name: target.app.config
            for target in discover({"SECRET_KEY": "only-to-read-the-config"})
        }
        gallery = Client(create_gallery(), use_cookies=False)
        visits = [visit(gallery, example.folder) for example in examples]
        crossing = cross_examples(gallery, visits)

    cookies = [(v.folder, c) for v in visits for c in v.session_cookies]
    bad_cookies = [(f, c) for f, c in cookies if not safe_cookie(c, f)]
    for folder, cookie in bad_cookies:
        print(f"  ! {folder}: session cookie {cookie!r}")
    bad_configs = [
        name
        for name, config in configs.items()
        if name in {e.folder for e in signing}
        and not (
            config["SESSION_COOKIE_HTTPONLY"] is True
            and config["SESSION_COOKIE_SAMESITE"] == "Lax"
        )
    ]
    for name in bad_configs:
        print(f"  ! {name}: SESSION_COOKIE_HTTPONLY/SAMESITE not True/Lax")
    with_forms = [v for v in visits if v.form is not None]
    print(
        f"  {len(cookies)} session cookies seen from "
        f"{len({f for f, _ in cookies})} examples; "
        f"{len(with_forms)} examples with a CSRF-protected form: "
        f"{', '.join(v.folder for v in with_forms)}"
    )
    c = crossing
    return [
        all_of("refuses to start without a string secret", refused, tries),
        all_of(
            "starts in debug mode with a development key", debug_started, len(signing)
        ),
        at_most(
            "session cookies not HttpOnly, SameSite=Lax, own path", len(bad_cookies)
        ),
        at_most("examples not configured HttpOnly and SameSite=Lax", len(bad_configs)),
        all_of(
            "POST forms refusing a request without token",
            c.forms - c.unprotected,
            c.forms,
        ),
        all_of("POST forms accepting their own session and token", c.own, c.forms),
        at_most(
            f"another example's session and token accepted (of {c.pairs})", c.foreign
        ),
    ]


def secret_refusals(examples: list[catalogue.Example]) -> tuple[int, int, int]:
    """(refusals, tries) without a string secret, and starts in debug mode."""
    refused = tries = debug_started = 0
    with private_instance_folders(), quiet_example_logs():
        for example in examples:
            for secret in BAD_SECRETS:
                values = {} if secret is None else {"FLASK_SECRET_KEY": secret}
                tries += 1
                with environment(**values):
                    try:
                        catalogue.load_app(example.module, None)
                    except RuntimeError as error:
                        if "FLASK_SECRET_KEY" in str(error):
                            refused += 1
                            continue
                    print(
                        f"  ! {example.folder} started with FLASK_SECRET_KEY={secret}"
                    )
            # In debug mode Flask sets an app's logger to DEBUG unless it has
            # a level: give it one, and take it back (loggers outlive apps).
            logger = logging.getLogger(example.module)
            logger.setLevel(logging.ERROR)
            try:
                with environment(FLASK_DEBUG="1"):
                    app = catalogue.load_app(example.module, None)
                    if isinstance(app.secret_key, str) and app.secret_key:
                        debug_started += 1
            finally:
                logger.setLevel(logging.NOTSET)
    return refused, tries, debug_started


def visit(gallery: Client, folder: str) -> Visit:
    """Walk an example's pages in the gallery as a new visitor."""
    found = Visit(folder, [])
    cookie = ""
    queue = [f"/{folder}/"]
    seen: set[str] = set()
    while queue and len(seen) < PAGES_PER_EXAMPLE:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        headers = {"Cookie": f"session={cookie}"} if cookie else {}
        # Not buffered: a download (the million-row CSV) is never read, its
        # headers are all this needs; a page is read to find its links.
        with gallery.get(path, headers=headers) as response:
            for header in response.headers.getlist("Set-Cookie"):
                if header.startswith("session="):
                    found.session_cookies.append(header)
                    cookie = SimpleCookie(header)["session"].value or cookie
            if response.mimetype != "text/html":
                continue
            html = response.get_data(as_text=True)
        if found.form is None:
            posts = [
                f for f in forms(html, path) if f.method == "POST" and f.csrf_token
            ]
            if posts:
                found.form, found.cookie = posts[0], cookie
        queue += [
            link
            for link in links(html, path)
            if link.startswith(f"/{folder}/") and "/static/" not in link
        ]
    return found


def refused_for_csrf(status: int, body: str) -> bool:
    return status == 400 and "CSRF" in body


@dataclass
class Crossing:
    forms: int = 0  # forms that take a POST at their action
    own: int = 0  # of them, accepting their own session and token
    unprotected: int = 0  # taking a POST with no token at all
    pairs: int = 0  # (form, another example's session and token) tried
    foreign: int = 0  # of them, accepted


def cross_examples(gallery: Client, visits: list[Visit]) -> Crossing:
    """Send each form no token, its own, and every other example's session and token."""
    crossing = Crossing()
    with_forms = [v for v in visits if v.form is not None]
    for target in with_forms:
        assert target.form is not None
        form = target.form

        def post(cookie: str, token: str | None, form: Form = form) -> tuple[int, str]:
            values = dict(form.values)
            values.pop("csrf_token", None)
            if token is not None:
                values["csrf_token"] = token
            response = gallery.post(
                form.action,
                data=urlencode(values),
                content_type="application/x-www-form-urlencoded",
                headers={"Cookie": f"session={cookie}"} if cookie else {},
                buffered=True,
            )
            response.close()
            return response.status_code, response.get_data(as_text=True)

        status, body = post("", None)
        if status in {404, 405}:
            # A form that its page's script sends elsewhere (as JSON, say): the
            # browser never posts it to its action, and neither does this check.
            print(f"  {target.folder}: {form.action} takes no POST ({status}), skipped")
            continue
        crossing.forms += 1
        if not refused_for_csrf(status, body):
            crossing.unprotected += 1
            print(f"  ! {target.folder}: {form.action} took a POST with no token")
        for source in with_forms:
            assert source.form is not None
            status, body = post(source.cookie, source.form.csrf_token)
            if source is target:
                if refused_for_csrf(status, body):
                    print(
                        f"  ! {target.folder}: its own token was refused: {body[:200]}"
                    )
                else:
                    crossing.own += 1
                continue
            crossing.pairs += 1
            if not refused_for_csrf(status, body):
                crossing.foreign += 1
                print(
                    f"  ! {target.folder} answered {status} to the session and "
                    f"token of {source.folder}: {body[:200]}"
                )
    return crossing


def safe_cookie(header: str, folder: str) -> bool:
    attributes = {part.strip().lower() for part in header.split(";")[1:]}
    return (
        "httponly" in attributes
        and "samesite=lax" in attributes
        and f"path=/{folder}/" in attributes
    )
