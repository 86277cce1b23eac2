"""What a user gets who copies one example folder and nothing else.

Each example that is a project of its own is copied alone into an empty
folder and installed into a fresh virtualenv from its own pyproject.toml,
from the package index (uv's cache makes that quick): with its
`dependencies` only, its package alone serves its index; with its `test`
extra, its own tests pass, none skipped, under CI=true.

A virtualenv and an install per example take a while, so `make test` leaves
these out (marker `copies`) and `make test-copies` runs them; CI runs both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cookbook import catalogue

PROJECTS = [example for example in catalogue.discover() if example.is_project]
# The uv that the Makefile fetched, else one on PATH.
UV = catalogue.ROOT / ".tools" / "bin" / "uv"
# Not the example's source: what a run or a build leaves behind.
LEFT_BEHIND = shutil.ignore_patterns(
    "__pycache__", ".pytest_cache", "instance", "*.egg-info", "build", "dist"
)

SERVE_INDEX = """
import sys
from flask.cli import ScriptInfo
app = ScriptInfo(app_import_path={package!r}).load_app()
response = app.test_client().get("/")
assert response.status_code == 200, response.get_data(as_text=True)
print(sys.modules[{package!r}].__file__)
"""


def uv() -> str:
    found = str(UV) if UV.exists() else shutil.which("uv")
    if found is None:
        pytest.fail("no uv: run `make sync` first, or install uv")
    return found


def user_env(**extra: str) -> dict[str, str]:
    """A user's shell: none of this checkout's virtualenv, Flask or uv settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FLASK_", "PYTHON", "UV_", "VIRTUAL_ENV", "COV_"))
        and name not in {"REDIS_URL", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER"}
    }
    # The interpreter this suite runs on; uv must never download one.
    env |= {"UV_PYTHON": sys._base_executable, "UV_PYTHON_DOWNLOADS": "never"}
    return env | extra


def run(command: list[str | Path], cwd: Path, **extra: str) -> str:
    result = subprocess.run(
        command,
        cwd=cwd,
        env=user_env(**extra),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.copies
# A fresh virtualenv, an install and a whole test run: the fabric example
# builds a wheel and deploys it over SSH into a virtualenv of its own.
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "example", PROJECTS, ids=[example.folder for example in PROJECTS]
)
def test_the_folder_copied_alone_installs_and_passes_its_own_tests(
    example: catalogue.Example, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(example.path, project, ignore=LEFT_BEHIND)
    run([uv(), "venv", "-q", ".venv"], cwd=project)
    python = project / ".venv" / "bin" / "python"

    # The package alone, in a project that has only its dependencies.
    dependencies = example.pyproject["project"]["dependencies"]
    run([uv(), "pip", "install", "-q", "--python", python, *dependencies], cwd=project)
    elsewhere = tmp_path / "yourproject"
    shutil.copytree(project / example.package, elsewhere / example.package)
    where = run(
        [python, "-c", SERVE_INDEX.format(package=example.package)],
        cwd=elsewhere,
        FLASK_DEBUG="1",
    )
    assert Path(where.strip()).is_relative_to(elsewhere)

    # The whole folder, as its README says: `pip install -e '.[test]'`, `pytest`.
    run(
        [uv(), "pip", "install", "-q", "--python", python, "-e", ".[test]"], cwd=project
    )
    output = run(
        [project / ".venv" / "bin" / "pytest", "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=project,
        CI="true",
    )
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary, output
    assert "skipped" not in summary, output
