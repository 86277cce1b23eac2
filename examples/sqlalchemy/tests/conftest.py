"""Fixtures in the style of Flask's tutorial: a fresh app per test on a
database of its own, and its test client. Every test that takes `app` runs
eight times: each of the four ways (DB_STYLE) on SQLite and on PostgreSQL.

PostgreSQL is a real server: a private cluster started for the run, on which
pytest-postgresql makes an empty database for each test and drops it after.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import NoReturn

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from pytest_postgresql import factories
from sqlalchemy import create_engine
from sqlalchemy import Engine
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


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode, a secret, CSRF off (one test turns it on).
    The database comes from `database_url`."""
    return {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False}


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for this test: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'journal.sqlite'}"
        return
    info = request.getfixturevalue("postgresql").info
    url = f"postgresql+psycopg://{info.user}@{info.host}:{info.port}/{info.dbname}"
    yield url
    # The test's engines are disposed by now (make_app). Were a session left
    # in a transaction, its lock would make DROP TABLE wait forever: the
    # lock_timeout turns that into a failure here, before pytest-postgresql
    # drops the database (which would end such a session without a word).
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text("DROP TABLE IF EXISTS entry"))
    finally:
        engine.dispose()


@pytest.fixture(params=list(STYLES))
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
    """A running cluster, as postgresql_noproc(depends_on=...) reads it."""

    host: str
    port: int
    user: str = "postgres"
    password: str | None = None
    options: str = ""
    maintenance_dbname: str = "postgres"
    template_dbname: str | None = None  # the journal's template comes from template1


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
            # Whatever happened above: a server that runs is stopped.
            subprocess.run(
                [*as_user, bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
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


# A template database "journal_tmpl" on that server, made once per run; the
# `postgresql` fixture clones it into "journal" for each test and drops it after.
postgresql_noproc = factories.postgresql_noproc(
    dbname="journal", depends_on="postgresql_server"
)
postgresql = factories.postgresql("postgresql_noproc")
