"""Fixtures in the style of Flask's tutorial: a fresh app per test on an
empty database, and its test client. Every test that takes `app` runs eight
times: each of the four ways (DB_STYLE) on SQLite and on PostgreSQL. Tests
that only read share an app per module, way and database (`shared_app`).

PostgreSQL is a real server: a private cluster started for the run, with a
database that pytest-postgresql makes once, emptied before and after each test.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import NoReturn

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy import create_engine
from sqlalchemy import Engine
from sqlalchemy import event
from sqlalchemy import Pool
from sqlalchemy import text

from journal import create_app
from journal import STYLES
from journal.core import CoreStore
from journal.extension import db
from journal.extension import FlaskSQLAlchemyStore
from journal.store import current_store

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Hypothesis: bounded so the suite stays quick. Locally it explores new inputs
# on every run; CI replays the same ones, so a landing never fails on a draw
# no one has seen before. HYPOTHESIS_PROFILE=deep digs much further.
settings.register_profile("default", max_examples=150, deadline=None)
settings.register_profile("ci", settings.get_profile("default"), derandomize=True)
settings.register_profile("deep", settings.get_profile("default"), max_examples=5000)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "default")
)


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI a missing server is a failure, never a quiet skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a test config the app reads FLASK_* (FLASK_DATABASE_URL,
    FLASK_DB_STYLE ...): the developer's own must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True, scope="module")
def _sqlite_without_fsync() -> Iterator[None]:
    """The tests' SQLite files are thrown away: commits need not wait for the
    disk (PRAGMA synchronous = OFF), as the PostgreSQL cluster runs with -F.
    SQLite works the same; only a crash of the machine could lose a commit."""

    def no_fsync(dbapi_connection: Any, record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute("PRAGMA synchronous = OFF")

    event.listen(Pool, "connect", no_fsync)
    yield
    event.remove(Pool, "connect", no_fsync)


CONFIG = {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False}


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (one test turns it on).
    The database comes from `database_url`."""
    return dict(CONFIG)


# `database` and `style` are module-scoped: pytest then runs a module's tests
# one database and one way at a time, and builds `shared_app` once for each.
@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
)
def database(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def database_url(
    database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """An empty database for this test: a SQLite file, or the run's PostgreSQL
    database, emptied before the test and after it."""
    if database == "sqlite":
        yield f"sqlite:///{tmp_path / 'journal.sqlite'}"
        return
    admin: Engine = request.getfixturevalue("postgresql_engine")
    # Emptied before: whatever an earlier test left (had its cleanup failed),
    # this one starts without tables, as on a new database.
    drop_tables(admin)
    yield admin.url.render_as_string(hide_password=False)
    # The test's engines are disposed by now (make_app). Were a session left
    # in a transaction, its lock would make DROP TABLE wait forever: the
    # lock_timeout turns that into a failure of this test, here.
    drop_tables(admin)


def drop_tables(admin: Engine) -> None:
    """Drop the journal's table (its sequence and index go with it): far
    quicker than a new database per test, and as empty."""
    with admin.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        connection.execute(text("DROP TABLE IF EXISTS entry"))


@pytest.fixture(scope="module", params=list(STYLES))
def style(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def engine_of(app: Flask) -> Engine:
    """The app's engine, where each way keeps it."""
    with app.app_context():
        store = current_store()
        if isinstance(store, FlaskSQLAlchemyStore):
            return db.engine
        if isinstance(store, CoreStore):
            return store.engine
        return store.session.get_bind()  # type: ignore[attr-defined, no-any-return]


@pytest.fixture
def make_app(
    config: dict[str, object], database_url: str
) -> Iterator[Callable[..., Flask]]:
    """Build apps on this test's database; their engines are disposed after it,
    as a server closes its pooled connections when it shuts down."""
    apps: list[Flask] = []

    def make(style: str, **settings: Any) -> Flask:
        app = create_app(
            {**config, "DATABASE_URL": database_url, "DB_STYLE": style, **settings}
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        engine_of(app).dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask], style: str) -> Flask:
    return make_app(style)


@pytest.fixture(scope="module")
def shared_app(
    database: str,
    style: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Flask]:
    """An app on a journal of one entry, "Only one" (id 1), for the tests that
    only read it: built once per module, way and database rather than once per
    test, as building an app (on PostgreSQL: connecting, reflecting) takes
    longer than such a test. On a database of its own, which they never change."""
    if database == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'journal.sqlite'}"
    else:
        admin: Engine = request.getfixturevalue("postgresql_shared_engine")
        drop_tables(admin)
        url = admin.url.render_as_string(hide_password=False)
    app = create_app({**CONFIG, "DATABASE_URL": url, "DB_STYLE": style})
    try:
        with app.app_context():
            current_store().add("Only one", "")
        yield app
    finally:
        engine_of(app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def engine(app: Flask) -> Engine:
    return engine_of(app)


@pytest.fixture
def instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For the tests of the defaults: apps made during the test get a temporary
    instance folder instead of instance/ beside the package."""
    path = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(path))
    return path


@pytest.fixture
def built(instance_folder: Path) -> Iterator[Callable[..., Flask]]:
    """create_app(test_config) as it is given, on the default database unless
    the config names one; engines disposed after the test."""
    apps: list[Flask] = []

    def build(test_config: Mapping[str, Any] | None) -> Flask:
        apps.append(create_app(test_config))
        return apps[-1]

    yield build
    for app in apps:
        engine_of(app).dispose()


# --- PostgreSQL -------------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """A running cluster: where to connect, and as whom."""

    host: str
    port: int
    user: str = "postgres"


def postgres_bin() -> Path:
    """The folder of initdb and pg_ctl: on PATH, or where Debian keeps them."""
    on_path = shutil.which("pg_ctl")
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: [int(n) for n in path.parent.name.split(".") if n.isdigit()],
        reverse=True,
    )
    for folder in [*([Path(on_path).parent] if on_path else []), *debian]:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    unavailable("no PostgreSQL found: install it (apt-get install postgresql)")


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[Cluster]:
    """A private PostgreSQL cluster on 127.0.0.1 and a free port, trust auth,
    stopped and deleted after the run.

    PostgreSQL refuses to run as root, so as root (containers, CI) the cluster
    belongs to and runs as `nobody`, in a folder that user owns. As an ordinary
    user, pytest-postgresql's own `postgresql_proc` would do as well.
    """
    bin_dir = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="journal-postgresql-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
        as_user = ["runuser", "-u", "nobody", "--"]
    data = folder / "data"

    def run(*command: str | Path) -> None:
        result = subprocess.run(
            [*as_user, *map(str, command)],
            cwd=folder,  # a folder `nobody` may enter
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            log = server_log(folder)
            pytest.fail(f"{command[0]} failed:\n{result.stdout}{result.stderr}{log}")

    with socket.socket() as probe:  # a free port: bind to 0, read it, let it go
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    try:
        # UTF8 whatever the locale: VARCHAR(200) then counts characters.
        run(bin_dir / "initdb", "-D", data, "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")  # fmt: skip
        # -F: no fsync, as the cluster is thrown away after the run.
        options = f"-k {folder} -h 127.0.0.1 -p {port} -F"
        try:
            run(bin_dir / "pg_ctl", "-D", data, "-o", options, "-l",
                folder / "server.log", "-w", "-t", "60", "start")  # fmt: skip
            wait_for_connections(port, folder)
            yield Cluster("127.0.0.1", port)
        finally:
            # Whatever happened above: a server that runs is stopped, at once
            # (-m immediate: no shutdown checkpoint, as its files are deleted).
            stop = [bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]
            subprocess.run(
                [*as_user, *stop],
                cwd=folder,
                capture_output=True,
                timeout=120,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def wait_for_connections(port: int, folder: Path, timeout: float = 30) -> None:
    """The server is ready once a connection over TCP, as the tests make them,
    succeeds (pg_ctl -w has already waited for it to say so)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(
                host="127.0.0.1", port=port, user="postgres", dbname="postgres"
            ).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                log = server_log(folder)
                pytest.fail(f"PostgreSQL did not start in {timeout:.0f} s:\n{log}")
            time.sleep(0.05)  # between attempts to connect


def server_log(folder: Path) -> str:
    log = folder / "server.log"
    return log.read_text() if log.exists() else ""


@contextmanager
def database_on(cluster: Cluster, name: str) -> Iterator[Engine]:
    """A new database on the cluster, made by pytest-postgresql's janitor, and
    the engine with which the tests empty it. Never dropped: the cluster goes
    after the run, and DROP DATABASE would wait for a checkpoint."""
    DatabaseJanitor(
        user=cluster.user, host=cluster.host, port=cluster.port, dbname=name
    ).init()
    url = f"postgresql+psycopg://{cluster.user}@{cluster.host}:{cluster.port}/{name}"
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


# Two databases for the run (each xdist worker starts a cluster of its own):
# dropping a table is far quicker than making a database for every test.
@pytest.fixture(scope="session")
def postgresql_engine(postgresql_server: Cluster) -> Iterator[Engine]:
    """The database of the tests that change it, emptied around each (database_url)."""
    with database_on(postgresql_server, "journal") as engine:
        yield engine


@pytest.fixture(scope="session")
def postgresql_shared_engine(postgresql_server: Cluster) -> Iterator[Engine]:
    """The database of `shared_app`, emptied before each is built."""
    with database_on(postgresql_server, "journal_shared") as engine:
        yield engine
