"""Fixtures in the style of Flask's tutorial (a fresh app per test and its test
client), and the private OpenSSH server that the deploy tests run the
fabfile's tasks through."""

from __future__ import annotations

import ctypes
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from typing import NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient

from deployable_app import create_app
from deployable_app import SETTINGS_VARIABLE

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# sshd refuses to start unless it is run by its absolute path.
SSHD = Path("/usr/sbin/sshd")


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI a missing tool is a failure, never a quiet skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the deploy tests must run)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app reads FLASK_* and its settings variable, Fabric reads FABRIC_*
    (the README exports FABRIC_DEPLOY_ROOT): the developer's own must not change
    what the tests see."""
    for name in list(os.environ):
        if name.startswith(("FLASK_", "FABRIC_")) or name == SETTINGS_VARIABLE:
            monkeypatch.delenv(name)


@pytest.fixture
def config() -> dict[str, object]:
    """The test config: testing mode. The app signs nothing and stores no data."""
    return {"TESTING": True}


@pytest.fixture
def app(config: dict[str, object]) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A private sshd on 127.0.0.1 that lets in the current user with one
    throwaway key, stopped after the run. Yields the keyword arguments of
    fabric.Connection that reach it."""
    if not SSHD.exists() or shutil.which("ssh-keygen") is None:
        unavailable(f"no {SSHD}: install it (apt-get install openssh-server)")
    folder = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", folder / key],
            check=True,
        )
    with socket.socket() as sock:  # a free port: bind to 0, read it, let it go
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = os.geteuid() == 0
    (folder / "sshd_config").write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {folder / 'host_key'}\n"
        f"AuthorizedKeysFile {folder / 'client_key.pub'}\n"
        f"PidFile {folder / 'sshd.pid'}\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "StrictModes no\n"  # the temporary folder's modes are not sshd's business
        f"PermitRootLogin {'yes' if root else 'no'}\n"
        "Subsystem sftp internal-sftp\n"
    )
    if root:
        os.makedirs("/run/sshd", exist_ok=True)  # its privilege-separation folder
    # -D: in the foreground, a child of this process that we stop ourselves.
    sshd = subprocess.Popen(
        [SSHD, "-D", "-f", folder / "sshd_config", "-E", folder / "sshd.log"],
        stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_us,
    )
    try:
        deadline = time.monotonic() + 10
        while not _greets(port):
            if sshd.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sshd did not start:\n{_log(folder)}")
            time.sleep(0.02)  # between attempts to connect
        yield {
            "host": "127.0.0.1",
            "port": port,
            "user": getpass.getuser(),
            "connect_kwargs": {
                "key_filename": str(folder / "client_key"),
                "look_for_keys": False,
                "allow_agent": False,
            },
        }
    finally:
        sshd.terminate()
        try:
            sshd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sshd.kill()
            sshd.wait()


def _die_with_us() -> None:
    """In sshd, before it starts: SIGTERM when the test run dies, even killed
    unannounced (Linux), so that no server outlives it."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _greets(port: int) -> bool:
    """sshd is ready once it greets a new connection with its version."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            return sock.recv(8).startswith(b"SSH-")
    except OSError:
        return False


def _log(folder: Path) -> str:
    log = folder / "sshd.log"
    return log.read_text() if log.exists() else "(no log)"
