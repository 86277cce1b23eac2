"""Fixtures in the style of Flask's tutorial (a fresh app per test and its test
client), the private OpenSSH server that the deploy tests run the fabfile's
tasks through, and the wheels that `fab pack` gathers for it."""

from __future__ import annotations

import ctypes
import fcntl
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
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
# The project: pyproject.toml, fabfile.py and fabric.yaml beside the package.
PROJECT = Path(__file__).resolve().parents[1]
# sshd refuses to start unless it is run by its absolute path.
SSHD = Path("/usr/sbin/sshd")
QUIET_PIP = ["--quiet", "--disable-pip-version-check"]


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
    # The user's home on this "server" is a folder of its own: your ~/.bashrc,
    # which bash runs before each command over SSH, stays out (a slow one, say
    # `pyenv init`, would slow every step of a deploy), and so does ~/.cache.
    (folder / "home").mkdir()
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
        f"SetEnv HOME={folder / 'home'}\n"
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


@pytest.fixture(scope="session")
def offline_pip(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], list[str]]:
    """A pip command that never reaches a package index: it finds the wheels
    that `fab pack` needs (the app's dependencies and pip) in a folder that
    they are downloaded into once per run. Under pytest-xdist, the first
    worker that needs it makes it, and the others wait for it."""
    folder = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = folder.parent  # the workers' folders are in one for the run
    folder = folder / "offline-pip"
    folder.mkdir(exist_ok=True)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until the file is closed
        if not (folder / "ready").exists():
            _make_offline_pip(folder / "venv", folder / "wheels")
            (folder / "ready").touch()

    def command(name: str) -> list[str]:
        """`pip <name>`, e.g. `pip wheel`, with the options that keep it offline."""
        offline = ["--no-index", "--find-links", str(folder / "wheels")]
        return [str(folder / "venv" / "bin" / "pip"), name, *QUIET_PIP, *offline]

    return command


def _make_offline_pip(venv: Path, wheels: Path) -> None:
    """Make the virtualenv with pip (the test environment may have none),
    download the wheels (the only time the tests ask the index), and install
    the app's build backend, for `pip wheel --no-build-isolation`: no throwaway
    environment to install the backend into for each build."""
    with open(PROJECT / "pyproject.toml", "rb") as f:
        pyproject = tomllib.load(f)
    backend = pyproject["build-system"]["requires"]
    needs = [*backend, *pyproject["project"]["dependencies"], "pip"]
    python, pip = venv / "bin" / "python", venv / "bin" / "pip"
    # uv links pip in from its cache in a fraction of a second; the standard
    # library's venv takes seconds, most of them compiling pip (ensurepip).
    if uv := find_uv():
        make_venv = [uv, "venv", "--quiet", "--seed", "--python", sys.executable]
        install = [uv, "pip", "install", "--quiet", "--python", python]
    else:
        make_venv = [sys.executable, "-m", "venv"]
        install = [pip, "install", *QUIET_PIP]
    subprocess.run([*make_venv, venv], check=True)
    subprocess.run(
        [pip, "download", *QUIET_PIP, "--only-binary=:all:", "--dest", wheels, *needs],
        check=True,
    )
    offline = ["--no-index", "--find-links", wheels]
    subprocess.run([*install, *offline, *backend], check=True)


def find_uv() -> str | None:
    """uv on PATH, or the one the cookbook's Makefile fetches into .tools/; a
    folder copied out of the cookbook may have neither."""
    fetched = PROJECT.parents[1] / ".tools" / "bin" / "uv"
    return shutil.which("uv") or (str(fetched) if fetched.exists() else None)


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
