"""Streaming contents: bodies sent chunk by chunk, and what must happen before."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.test import TestResponse

from streamer import create_app
from streamer import sources
from streamer import views

GONE = "the client went away mid-stream"


@pytest.fixture
def made_rows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the report rows made so far, in order."""
    made: list[int] = []
    rows = sources.rows

    def recording(count: int) -> Iterator[tuple[int, str, str]]:
        for row in rows(count):
            made.append(row[0])
            yield row

    monkeypatch.setattr(sources, "rows", recording)
    return made


@pytest.fixture
def made_events(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The numbers of the timeline events made so far, in order."""
    made: list[int] = []
    events = sources.events

    def recording(count: int, delay: float) -> Iterator[sources.Event]:
        for event in events(count, delay):
            made.append(event.number)
            yield event

    monkeypatch.setattr(sources, "events", recording)
    return made


def chunks(response: TestResponse) -> Iterator[str]:
    """The body as the server would send it: one chunk at a time."""
    for chunk in response.response:
        assert isinstance(chunk, bytes)
        yield chunk.decode()


def assert_error_page(response: TestResponse, status: int, message: str) -> None:
    """The app's own error page (not Werkzeug's): its layout, message, way back."""
    assert response.status_code == status, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.title is not None
    assert soup.title.get_text() == f"{status} {HTTPStatus(status).phrase} · Streaming"
    assert message in response.text
    back = soup.find("a", string="Back to the start")
    assert isinstance(back, Tag), response.text
    assert back.get("href") == "/"


# --- Every stream ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/report.csv", "/timeline", "/greeting?name=Ann"])
def test_streams_have_no_length_and_ask_proxies_not_to_buffer(
    client: FlaskClient, path: str
) -> None:
    with client.get(path, buffered=False) as response:
        assert response.status_code == 200, response.text
        assert response.is_streamed
        # No Content-Length: the size is unknown when the headers leave.
        assert "Content-Length" not in response.headers
        assert response.headers["X-Accel-Buffering"] == "no"


ROWS = "“rows” must be a whole number from 1 to 1,000,000."
EVENTS = "“events” must be a whole number from 1 to 50."


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/report.csv?rows=0", ROWS),
        ("/report.csv?rows=1000001", ROWS),
        ("/report.csv?rows=-1", ROWS),
        ("/report.csv?rows=1.5", ROWS),
        ("/report.csv?rows=", ROWS),
        ("/report.csv?rows=ten", ROWS),
        ("/report.csv?rows=%D9%A1", ROWS),  # an Arabic-Indic digit one
        (f"/report.csv?rows={'9' * 5000}", ROWS),  # too long for int()
        ("/timeline?events=0", EVENTS),
        ("/timeline?events=51", EVENTS),
        (f"/greeting?name={'x' * 101}", "Keep the name to 100 characters."),
    ],
)
def test_bad_arguments_are_a_400_page_before_any_streaming(
    client: FlaskClient, path: str, message: str
) -> None:
    assert_error_page(client.get(path), 400, message)


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/report.csv?rows=1", "id,item,price\r\n1,Nut,0.37\r\n"),
        ("/timeline?events=1", "All 1 events are in."),
        ("/timeline?events=50", "All 50 events are in."),
        (f"/greeting?name={'x' * 100}", f"<h1>Hello {'x' * 100}!</h1>"),
    ],
)
def test_arguments_at_their_limits_are_streamed(
    client: FlaskClient, path: str, shown: str
) -> None:
    """The smallest and largest counts and the longest name (the largest report
    has its own test below: it is read only up to its first chunk)."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert shown in response.text


def test_a_post_to_a_stream_is_a_405_page_that_lists_the_allowed_methods(
    client: FlaskClient,
) -> None:
    response = client.post("/greeting")
    assert_error_page(response, 405, MethodNotAllowed.description)
    # In no set order: Werkzeug lists the methods from a set.
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize(
    ("host", "extra", "message"),
    [
        ("a..b", {}, BadRequest.description),  # no valid host name
        (
            "evil.example",
            {"TRUSTED_HOSTS": ["localhost"]},
            "Host 'evil.example' is not trusted.",
        ),
    ],
    ids=["malformed", "untrusted"],
)
def test_a_bad_host_header_is_a_plain_400_with_no_links(
    config: dict[str, object], host: str, extra: dict[str, object], message: str
) -> None:
    """No URL can be built for such a host: no page with links either."""
    client = create_app({**config, **extra}).test_client()
    response = client.get("/timeline", headers={"Host": host})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == f"400 Bad Request: {message}"


# --- A large CSV from a plain generator -----------------------------------------


def test_report_is_a_csv_attachment_with_every_row(client: FlaskClient) -> None:
    response = client.get("/report.csv?rows=2500")
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=report.csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["id", "item", "price"]
    assert [int(row[0]) for row in rows[1:]] == list(range(1, 2501))
    # Commas and quotes inside a value come back as one field.
    assert ["3", "Widget, large", "1.11"] in rows
    assert ["4", 'Cable "Cat 6"', "1.48"] in rows
    assert rows[-1] == ["2500", "Bolt", "25.00"]  # prices wrap below 100.00


def test_report_without_rows_has_ten_thousand(client: FlaskClient) -> None:
    response = client.get("/report.csv")
    assert response.status_code == 200, response.text
    assert response.text.count("\r\n") == 1 + 10_000


def test_report_is_sent_a_thousand_whole_rows_at_a_time(client: FlaskClient) -> None:
    with client.get("/report.csv?rows=2500", buffered=False) as response:
        sizes = [chunk.count("\r\n") for chunk in chunks(response)]
        assert sizes == [1 + 1000, 1000, 500]  # the first has the header line


def test_the_first_chunk_of_the_largest_report_leaves_before_the_rest_is_made(
    client: FlaskClient, made_rows: list[int]
) -> None:
    with client.get("/report.csv?rows=1000000", buffered=False) as response:
        assert response.status_code == 200, response.text
        first = next(chunks(response))
        assert first.startswith("id,item,price\r\n1,")
        # Only the rows in that chunk exist yet, not the other 999,000.
        assert made_rows == list(range(1, views.ROWS_PER_CHUNK + 1))
        assert first.count("\r\n") == 1 + views.ROWS_PER_CHUNK
    # The client went away: the generator stopped and made nothing more.
    assert len(made_rows) == views.ROWS_PER_CHUNK


# --- A template rendered as a stream --------------------------------------------


def test_timeline_sends_each_event_as_soon_as_it_is_made(
    client: FlaskClient, made_events: list[int]
) -> None:
    received = ""
    with client.get("/timeline?events=5", buffered=False) as response:
        for chunk in chunks(response):
            if not received:
                # The page starts before the first event exists.
                assert chunk.startswith("<!doctype html>")
                assert made_events == []
            received += chunk
            # Never an event made and held back, never one sent before it exists.
            assert len(made_events) == received.count("<li>")
    assert made_events == [1, 2, 3, 4, 5]
    assert "Event 5 of 5" in received
    assert "All 5 events are in." in received


def test_timeline_builds_its_links_while_streaming_under_a_prefix(
    client: FlaskClient,
) -> None:
    """url_for in a streamed template needs the request: stream_template keeps it."""
    response = client.get("/timeline", base_url="http://localhost/mounted/")
    assert response.status_code == 200, response.text
    assert 'href="/mounted/static/style.css"' in response.text
    assert 'href="/mounted/report.csv"' in response.text
    assert response.text.count("<li>") == 10  # the default number of events


# --- Request data in a generator: stream_with_context ---------------------------


def test_greeting_reads_the_name_inside_the_generator_and_escapes_it(
    client: FlaskClient,
) -> None:
    response = client.get("/greeting", query_string={"name": "<script>x()</script>"})
    assert response.status_code == 200, response.text
    assert "<h1>Hello &lt;script&gt;x()&lt;/script&gt;!</h1>" in response.text
    assert "<script>" not in response.text


def test_greeting_is_a_page_in_the_apps_layout_with_links_under_a_prefix(
    client: FlaskClient,
) -> None:
    """url_for inside the generator needs the request: stream_with_context keeps it."""
    response = client.get("/greeting?name=Ann", base_url="http://localhost/mounted/")
    assert response.status_code == 200, response.text
    assert response.text.lower().startswith("<!doctype html>")  # no quirks mode
    soup = BeautifulSoup(response.text, "html.parser")
    assert list(soup.stripped_strings) == [
        "Greeting · Streaming",
        "Streaming",
        "Hello Ann!",
        "Greeting number 1 in this session.",
        "Back",
    ]
    stylesheet = soup.find("link", rel="stylesheet")
    assert isinstance(stylesheet, Tag)
    assert stylesheet.get("href") == "/mounted/static/style.css"
    assert [a.get("href") for a in soup.find_all("a")] == ["/mounted/", "/mounted/"]


def test_greeting_without_a_name_greets_a_stranger(client: FlaskClient) -> None:
    response = client.get("/greeting")
    assert response.status_code == 200, response.text
    assert "<h1>Hello stranger!</h1>" in response.text


def test_greeting_sets_the_session_before_the_body_and_reads_it_inside(
    client: FlaskClient,
) -> None:
    for number in (1, 2):
        with client.get("/greeting?name=Ann", buffered=False) as response:
            # Set by the view, so it leaves with the headers.
            assert "session=" in response.headers["Set-Cookie"]
            assert "Cookie" in response.headers["Vary"]
            body = "".join(chunks(response))
        assert f"Greeting number {number} in this session." in body


def test_the_session_cookie_is_sent_only_to_the_same_site(client: FlaskClient) -> None:
    response = client.get("/greeting?name=Ann")
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


# --- A client that goes away ------------------------------------------------------


@pytest.mark.parametrize("path", ["/greeting?name=Ann", "/timeline?events=5"])
def test_a_client_gone_mid_stream_still_gets_the_teardown(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    caplog.set_level(logging.INFO, logger=app.logger.name)
    ended: list[BaseException | None] = []
    app.teardown_appcontext(ended.append)  # where a database connection closes

    response = client.get(path, buffered=False)
    next(chunks(response))
    assert GONE not in caplog.text  # still streaming
    response.close()  # what a server does when the client disconnects

    assert f"{path.split('?')[0]}: {GONE}" in caplog.messages
    assert isinstance(ended[-1], GeneratorExit)


@pytest.mark.parametrize("path", ["/greeting?name=Ann", "/timeline?events=5"])
def test_a_stream_read_to_the_end_is_not_reported_as_gone(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    caplog.set_level(logging.INFO, logger=app.logger.name)
    ended: list[BaseException | None] = []
    app.teardown_appcontext(ended.append)
    with client.get(path, buffered=False) as response:
        assert "</html>" in "".join(chunks(response))
    assert GONE not in caplog.text
    assert ended[-1] is None


# --- The start page -----------------------------------------------------------


def test_start_page_links_to_each_stream(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    links = {a["href"] for a in soup.select("main a")}
    assert {"/report.csv?rows=10000", "/report.csv?rows=1000000", "/timeline"} <= links
    form = soup.find("form")
    assert isinstance(form, Tag)
    assert form.get("method") == "get"
    assert form.get("action") == "/greeting"


# --- The app as deployed: its pace and its secret -------------------------------


class Clock:
    """Stands in for the time module in sources: a sleep moves it on at once."""

    def __init__(self) -> None:
        self.now = 1000.0  # a monotonic clock starts anywhere

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_timeline_shows_events_a_tenth_of_a_second_apart_by_default(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "time", Clock())
    monkeypatch.setenv("FLASK_SECRET_KEY", "from env")
    response = create_app().test_client().get("/timeline?events=3")
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert [li.get_text(" ", strip=True) for li in soup.select("main li")] == [
        "Event 1 of 3 after 0.1 s",
        "Event 2 of 3 after 0.2 s",
        "Event 3 of 3 after 0.3 s",
    ]


@pytest.mark.parametrize(
    ("in_config_py", "environ", "secret"),
    [
        ("from config.py", {}, "from config.py"),
        (None, {"FLASK_SECRET_KEY": "from env"}, "from env"),
        ("from config.py", {"FLASK_SECRET_KEY": "from env"}, "from env"),
        # A secret that is set is kept in debug mode too.
        ("from config.py", {"FLASK_DEBUG": "1"}, "from config.py"),
    ],
    ids=["instance", "env", "env-over-instance", "debug"],
)
def test_the_secret_comes_from_the_environment_or_instance_config_py(
    instance_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    in_config_py: str | None,
    environ: dict[str, str],
    secret: str,
) -> None:
    if in_config_py is not None:
        (instance_folder / "config.py").write_text(f"SECRET_KEY = {in_config_py!r}\n")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert create_app().secret_key == secret


@pytest.mark.parametrize(
    ("environ", "test_config"),
    [({"FLASK_DEBUG": "1"}, None), ({}, {"TESTING": True})],
    ids=["debug", "testing"],
)
def test_debug_or_testing_counts_greetings_with_a_development_secret(
    instance_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    test_config: dict[str, object] | None,
) -> None:
    """The README's `flask run --debug` works with no secret set."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    client = create_app(test_config).test_client()
    client.get("/greeting")
    response = client.get("/greeting")
    assert "Greeting number 2 in this session." in response.text


@pytest.mark.parametrize(
    "secret", [None, "12345", '""'], ids=["missing", "a number", "empty"]
)
def test_deployed_without_a_string_secret_the_app_refuses_to_start(
    instance_folder: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    """`FLASK_SECRET_KEY=12345` is read as JSON: an int, refused like no secret."""
    if secret is not None:
        monkeypatch.setenv("FLASK_SECRET_KEY", secret)
    with pytest.raises(
        RuntimeError, match=r"^Set a secret key: export FLASK_SECRET_KEY="
    ):
        create_app()
