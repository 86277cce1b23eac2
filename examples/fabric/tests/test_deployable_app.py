"""Deploying with Fabric: the app, and the fabfile run over real SSH.

The deploy tests start a private OpenSSH server on 127.0.0.1 that lets in one
throwaway key, and run the fabfile's tasks through it into a temporary
"server" folder: bootstrap, deploy, a second release, rollback.
"""

from __future__ import annotations

import gc
import importlib.metadata
import importlib.util
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tomllib
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fabric import Config  # type: ignore[import-untyped]
from fabric import Connection
from flask.testing import FlaskClient
from invoke.context import Context
from invoke.exceptions import Exit
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound

from deployable_app import create_app
from deployable_app import SETTINGS_VARIABLE

# Invoke's local runner (`c.local`, used by `fab pack`) leaves its pipes to the
# finished process open (pyinvoke/invoke#665); nothing here can close them.
# Only pipes (a FileIO named by a number, or already closed: older Pythons
# and invokes report them so), never a file that has a path.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <_io.FileIO (name=[0-9]+ |\[closed\]>)"
    ":pytest.PytestUnraisableExceptionWarning"
)


@pytest.fixture(autouse=True)
def _collect_invokes_pipes(request: pytest.FixtureRequest) -> Iterator[None]:
    """Let the garbage collector close those pipes inside this module's deploy
    tests, where the filter above applies, not at some later test or at exit.
    Only there: a full collection in a long test run takes a second."""
    yield
    if "deployment" in request.fixturenames:
        gc.collect()


# The project: pyproject.toml, fabfile.py and fabric.yaml beside the package.
PROJECT = Path(__file__).resolve().parents[1]


def running_version() -> str:
    """The version the app reports: "not installed" when it runs from its
    folder, the version in pyproject.toml once installed (pip install -e .)."""
    try:
        importlib.metadata.distribution("deployable-app")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
    with open(PROJECT / "pyproject.toml", "rb") as f:
        return str(tomllib.load(f)["project"]["version"])


# --- The app ------------------------------------------------------------------


def test_the_page_names_the_site_and_the_running_version(client: FlaskClient) -> None:
    """The defaults: no settings file."""
    response = client.get("/")
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.h1 is not None and soup.h1.get_text() == "Deployable app"
    version = soup.find(id="version")
    assert version is not None and version.get_text() == running_version()


def test_the_health_check_answers_with_the_version(client: FlaskClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200, response.text
    assert response.json == {"status": "ok", "version": running_version()}


def test_the_settings_file_named_by_the_variable_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "settings.py"
    settings.write_text('SECRET_KEY = "from-the-file"\nSITE_NAME = "Production"\n')
    monkeypatch.setenv(SETTINGS_VARIABLE, str(settings))
    app = create_app()  # no debug, no test config: as on the server
    assert app.secret_key == "from-the-file"
    page = app.test_client().get("/")
    assert "<h1>Production</h1>" in page.text


def test_a_settings_file_that_is_missing_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Named but missing is a deploy mistake: fail loudly, never run on defaults."""
    monkeypatch.setenv(SETTINGS_VARIABLE, str(tmp_path / "missing.py"))
    with pytest.raises(OSError, match="Unable to load configuration file"):
        create_app()  # no test config: as on the server


def test_the_test_config_is_applied_over_the_defaults() -> None:
    app = create_app({"TESTING": True, "SITE_NAME": "Under test"})
    page = app.test_client().get("/")
    assert page.status_code == 200, page.text
    assert "<h1>Under test</h1>" in page.text


@pytest.mark.parametrize("path", ["/api", "/api/nothing"])
def test_an_unknown_api_path_is_a_json_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.json == {"error": "Not Found", "message": NotFound.description}


def test_a_wrong_method_on_the_api_is_a_json_405_that_keeps_allow(
    client: FlaskClient,
) -> None:
    response = client.post("/api/health")
    assert response.status_code == 405, response.text
    assert response.json == {
        "error": "Method Not Allowed",
        "message": MethodNotAllowed.description,
    }
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("path", ["/nothing", "/apiary"])
def test_an_unknown_page_is_flasks_html_404(client: FlaskClient, path: str) -> None:
    """Only /api and below answer in JSON; pages keep Flask's own error page."""
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.mimetype == "text/html"
    assert "<h1>Not Found</h1>" in response.text


# --- The deploy, over SSH -----------------------------------------------------


def connect(server: dict[str, Any], config: Config) -> Connection:
    """A Fabric connection to the private sshd (the `ssh_server` fixture of
    conftest.py), with only its throwaway key."""
    return Connection(**server, config=config)


@dataclass
class Deployment:
    """The fabfile of a copy of the project, and the server it deploys to."""

    project: Path
    root: Path  # the "server's" folder
    fabfile: ModuleType
    cxn: Connection

    def set_version(self, version: str) -> None:
        pyproject = self.project / "pyproject.toml"
        text = pyproject.read_text()
        pyproject.write_text(
            re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', text)
        )

    def current(self) -> str:
        return os.readlink(self.root / "current")

    def releases(self) -> list[str]:
        return sorted(path.name for path in (self.root / "releases").iterdir())

    def serve(self, path: str) -> tuple[int, str]:
        """Load the server's wsgi.py with the live release's Python, far from
        any source tree, and answer one request."""
        elsewhere = self.root.parent / "elsewhere"
        elsewhere.mkdir(exist_ok=True)
        result = subprocess.run(
            [
                self.root / "current" / "venv" / "bin" / "python",
                "-c",
                SERVE,
                path,
                self.root / "wsgi.py",
            ],
            cwd=elsewhere,
            env={
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("PYTHON", "FLASK_"))
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        module, status, body = result.stdout.split("\n", 2)
        live = (self.root / "current").resolve()  # the package of the live release
        assert Path(module).resolve().is_relative_to(live), module
        return int(status), body


SERVE = """
import runpy, sys
import deployable_app
application = runpy.run_path(sys.argv[2])["application"]
response = application.test_client().get(sys.argv[1])
print(deployable_app.__file__)
print(response.status_code)
print(response.get_data(as_text=True))
"""


def load_fabfile(project: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("fabfile", project / "fabfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("variables", "user", "host", "port"),
    [
        ({}, "deploy", "app.example.com", 22),  # fabric.yaml's
        ({"FABRIC_DEPLOY_HOST": "ops@10.0.0.5:2222"}, "ops", "10.0.0.5", 2222),
    ],
)
def test_without_dash_h_the_tasks_go_to_the_configured_host(
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    user: str,
    host: str,
    port: int,
) -> None:
    """The server is configuration (fabric.yaml, FABRIC_* variables), not code."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    config = Config(lazy=True)  # no /etc or ~ config files: only the project's
    config.set_project_location(str(PROJECT))
    config.load_project()
    config.load_shell_env()
    cxn = load_fabfile(PROJECT).server(Context(config))  # no connection opened
    assert (cxn.user, cxn.host, cxn.port) == (user, host, port)
    assert cxn.config.deploy.root == "/srv/deployable_app"


@pytest.fixture(scope="module")
def deployment(
    ssh_server: dict[str, Any],
    offline_pip: Callable[[str], list[str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    """A copy of the project (pack writes dist/ beside the package) and the
    fabfile's config pointed at a temporary server folder.

    `fab pack` builds the wheel and downloads the others with pip, never
    from the index (the `offline_pip` fixture), instead of fabric.yaml's uv:
    the same wheels, and nothing to install that Python does not bring.
    """
    tmp = tmp_path_factory.mktemp("fabric")
    project = tmp / "project"
    shutil.copytree(
        PROJECT,
        project,
        ignore=shutil.ignore_patterns(
            "__pycache__", "instance", "dist", "build", "*.egg-info", ".venv"
        ),
    )
    # `fab pack` adds dist/ and the project's folder to `build`, and to
    # `download` the destination, the app's wheel and pip.
    build = [*offline_pip("wheel"), "--no-build-isolation", "--no-deps", "--wheel-dir"]
    download = [*offline_pip("download"), "--only-binary=:all:"]
    config = Config(
        lazy=True,  # no /etc or ~ config files: only the project's and these
        overrides={
            "load_ssh_configs": False,
            "run": {"in_stream": False},  # pytest's stdin cannot be read
            "deploy": {
                "root": str(tmp / "srv"),
                "python": sys.executable,
                "build": shlex.join(build),
                "download": shlex.join(download),
                "keep": 2,
            },
        },
    )
    config.set_project_location(str(project))
    config.load_project()  # the project's fabric.yaml, under the overrides
    cxn = connect(ssh_server, config)
    try:
        yield Deployment(project, tmp / "srv", load_fabfile(project), cxn)
    finally:
        cxn.close()


@pytest.fixture(scope="module")
def deployed(deployment: Deployment) -> Deployment:
    """Release 1.0.0, packed, bootstrapped and deployed: live on the server.

    The tests below share it; each leaves the server as it found it, except
    the last one, which deploys a second release and rolls back.
    """
    fab, cxn = deployment.fabfile, deployment.cxn
    fab.pack(cxn)
    fab.bootstrap(cxn)
    fab.deploy(cxn)
    return deployment


def test_bootstrap_writes_private_settings_and_the_wsgi_file(
    deployed: Deployment,
) -> None:
    settings = deployed.root / "settings.py"
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    assert re.search(r"^SECRET_KEY = '[0-9a-f]{64}'$", settings.read_text(), re.M)
    wsgi = (deployed.root / "wsgi.py").read_text()
    assert f'os.environ["{SETTINGS_VARIABLE}"] = {str(settings)!r}' in wsgi


def test_the_live_release_serves_requests_with_the_servers_settings(
    deployed: Deployment,
) -> None:
    assert re.fullmatch(r"releases/\d{8}-\d{6}-1\.0\.0", deployed.current())
    settings = deployed.root / "settings.py"
    original = settings.read_text()
    settings.write_text(original.replace('"Deployable app"', '"Served over SSH"'))
    try:
        status, page = deployed.serve("/")
    finally:
        settings.write_text(original)
    assert status == 200, page
    soup = BeautifulSoup(page, "html.parser")
    assert soup.h1 is not None and soup.h1.get_text() == "Served over SSH"
    version = soup.find(id="version")
    assert version is not None and version.get_text() == "1.0.0"


def test_bootstrap_again_keeps_the_settings_and_the_live_release(
    deployed: Deployment,
) -> None:
    settings = (deployed.root / "settings.py").read_text()
    live = deployed.current()
    deployed.fabfile.bootstrap(deployed.cxn)
    assert (deployed.root / "settings.py").read_text() == settings
    assert deployed.current() == live


def test_deploy_refuses_without_a_packed_wheel(deployed: Deployment) -> None:
    original = (deployed.project / "pyproject.toml").read_text()
    deployed.set_version("9.9.9")
    try:
        with pytest.raises(Exit, match=r"deployable_app-9\.9\.9-.*run `fab pack`"):
            deployed.fabfile.deploy(deployed.cxn)
    finally:
        (deployed.project / "pyproject.toml").write_text(original)


def test_deploy_refuses_a_server_that_was_not_bootstrapped(
    deployed: Deployment, ssh_server: dict[str, Any], tmp_path: Path
) -> None:
    config = deployed.cxn.config.clone()
    config.deploy.root = str(tmp_path / "new-server")
    with (
        connect(ssh_server, config) as cxn,
        pytest.raises(Exit, match="run `fab bootstrap` first"),
    ):
        deployed.fabfile.deploy(cxn)
    assert not (tmp_path / "new-server").exists()


def test_a_release_that_fails_its_check_never_goes_live(deployed: Deployment) -> None:
    """Settings the app cannot load (a line that is no Python) fail the check
    that runs before the switch: the live release stays, the new one goes."""
    settings = deployed.root / "settings.py"
    original = settings.read_text()
    live, releases = deployed.current(), deployed.releases()
    settings.write_text(original + "SITE_NAME = (\n")
    try:
        with pytest.raises(Exit, match="failed its check and was removed"):
            deployed.fabfile.deploy(deployed.cxn)
    finally:
        settings.write_text(original)
    assert deployed.current() == live
    assert deployed.releases() == releases


def test_a_new_release_goes_live_and_rollback_brings_back_the_one_before(
    deployed: Deployment,
) -> None:
    fab, cxn = deployed.fabfile, deployed.cxn
    first = deployed.current()
    # An old release beyond the `keep` limit (2 here) is removed by the deploy.
    (deployed.root / "releases" / "20000101-000000-0.9.0").mkdir()
    wsgi = deployed.root / "wsgi.py"
    os.utime(wsgi, (0, 0))

    deployed.set_version("1.1.0")
    fab.pack(cxn)
    fab.deploy(cxn)
    second = deployed.current()
    assert second.endswith("-1.1.0") and second != first
    assert ["releases/" + name for name in deployed.releases()] == [first, second]
    assert wsgi.stat().st_mtime > 0, "deploy did not touch wsgi.py to reload"
    status, health = deployed.serve("/api/health")
    assert status == 200, health
    assert '"version":"1.1.0"' in health

    os.utime(wsgi, (0, 0))
    fab.rollback(cxn)
    assert deployed.current() == first
    assert wsgi.stat().st_mtime > 0, "rollback did not touch wsgi.py to reload"
    status, health = deployed.serve("/api/health")
    assert status == 200, health
    assert '"version":"1.0.0"' in health

    with pytest.raises(Exit, match="nothing to roll back to"):
        fab.rollback(cxn)
    assert deployed.current() == first
