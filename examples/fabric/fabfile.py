"""Deploy deployable_app with Fabric 3: `fab pack bootstrap deploy`, `fab rollback`.

The server and its paths come from fabric.yaml (c.config.deploy), or the host
from `fab -H`. On the server, under `root`:

    settings.py        the app's configuration, written once, never overwritten
    wsgi.py            sets DEPLOYABLE_APP_SETTINGS and builds `application`
    releases/<name>/   one per deploy: the wheels and a virtualenv installed from them
    current -> releases/<name>   the live release; the web server uses current/venv

A deploy builds the new release beside the live one, checks that it answers
before it switches `current`, and keeps older releases for `fab rollback`.
"""

from __future__ import annotations

import json
import secrets
import shlex
import shutil
import tomllib
from datetime import datetime
from datetime import UTC
from pathlib import Path

# Fabric ships no type hints: its imports and its @task decorator are untyped.
from fabric import Connection
from fabric import task
from invoke.context import Context
from invoke.exceptions import Exit

PROJECT = Path(__file__).resolve().parent
PACKAGE = "deployable_app"

# The demo app signs nothing, but an app you deploy with this fabfile likely
# does (sessions, CSRF tokens): its secret is made here, once, on the server.
SETTINGS = """\
# deployable_app's settings on this server, written by `fab bootstrap` and
# never overwritten: edit them here. wsgi.py names this file in
# DEPLOYABLE_APP_SETTINGS; the app reads it with app.config.from_envvar().
SECRET_KEY = {secret!r}
SITE_NAME = "Deployable app"
"""

WSGI = """\
# Written by `fab bootstrap`. Serve `application` with the live release's
# virtualenv, e.g. mod_wsgi: WSGIDaemonProcess ... python-home={root}/current/venv
# and WSGIScriptAlias / {root}/wsgi.py. `fab deploy` touches this file to reload.
import os

os.environ["DEPLOYABLE_APP_SETTINGS"] = {settings!r}

from deployable_app import create_app  # noqa: E402

application = create_app()
"""

# Run on the server by a new release's Python, in `root`, before it goes live:
# the WSGI file must load with the server's settings and answer.
SMOKE_TEST = """\
import runpy
application = runpy.run_path("wsgi.py")["application"]
response = application.test_client().get("/api/health")
print(response.get_data(as_text=True))
raise SystemExit(response.status_code != 200)
"""


def server(c: Context) -> Connection:
    """The server: `fab -H host` hands tasks a Connection, else deploy.host."""
    if isinstance(c, Connection):
        return c
    return Connection(c.config.deploy.host, config=c.config)


def q(path: str | Path) -> str:
    return shlex.quote(str(path))


def version() -> str:
    with open(PROJECT / "pyproject.toml", "rb") as f:
        return str(tomllib.load(f)["project"]["version"])


@task
def pack(c: Context) -> None:
    """Build the app's wheel into dist/ on this machine, and gather in
    dist/<version>/ all that `deploy` installs: it, its dependencies and pip."""
    run_here = c.local if isinstance(c, Connection) else c.run  # never remote
    dist, ver = PROJECT / "dist", version()
    run_here(f"{c.config.deploy.build} {q(dist)} {q(PROJECT)}")
    wheel = dist / f"{PACKAGE}-{ver}-py3-none-any.whl"
    wheels = dist / ver
    shutil.rmtree(wheels, ignore_errors=True)  # none left from an earlier pack
    run_here(f"{c.config.deploy.download} --dest {q(wheels)} {q(wheel)} pip")


@task
def bootstrap(c: Context) -> None:
    """Prepare the server: directories, settings file and WSGI file."""
    cxn = server(c)
    root = c.config.deploy.root
    cxn.run(f"mkdir -p {q(root)}/releases")
    settings = f"{root}/settings.py"
    if cxn.run(f"test -e {q(settings)}", warn=True, hide=True).ok:
        print(f"Kept {settings}: it is never overwritten.")
    else:
        with cxn.sftp().open(settings, "w") as f:
            f.chmod(0o600)  # before the secret is in it
            f.write(SETTINGS.format(secret=secrets.token_hex(32)))
        print(f"Wrote {settings} with a new secret key.")
    with cxn.sftp().open(f"{root}/wsgi.py", "w") as f:
        f.write(WSGI.format(root=root, settings=settings))


@task
def deploy(c: Context) -> None:
    """Upload the packed wheels, install them in a new release, check it, switch."""
    cxn = server(c)
    root, ver = c.config.deploy.root, version()
    wheel = PROJECT / "dist" / ver / f"{PACKAGE}-{ver}-py3-none-any.whl"
    pip_wheel = next(wheel.parent.glob("pip-*.whl"), None)
    if not wheel.exists() or pip_wheel is None:
        raise Exit(f"No {wheel.relative_to(PROJECT)}: run `fab pack` first.")
    if not cxn.run(f"test -e {q(root)}/wsgi.py", warn=True, hide=True).ok:
        raise Exit(f"No {root}/wsgi.py on {cxn.host}: run `fab bootstrap` first.")

    name = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{ver}"
    release = f"{root}/releases/{name}"
    cxn.run(f"mkdir {q(release)}")  # fails if this release exists: no overwrite
    for path in sorted(wheel.parent.glob("*.whl")):
        cxn.put(str(path), remote=f"{release}/")
    print(f"Installing {wheel.name} into {release}/venv ...")
    # pip runs from its wheel: no ensurepip (seconds), and no package index.
    venv = f"{q(release)}/venv"
    cxn.run(f"{q(c.config.deploy.python)} -m venv --without-pip {venv}", hide=True)
    pip = f"{venv}/bin/python {q(release)}/{pip_wheel.name}/pip install --no-index"
    cxn.run(f"{pip} --find-links {q(release)} {PACKAGE}=={ver}", hide=True)

    smoke_test = f"cd {q(root)} && {venv}/bin/python -c {q(SMOKE_TEST)}"
    check = cxn.run(smoke_test, warn=True, hide=True)
    if not check.ok or answered_version(check.stdout) != ver:
        cxn.run(f"rm -rf {q(release)}")
        raise Exit(
            f"Release {name} failed its check and was removed; "
            f"the live release is unchanged.\n{check.stdout}{check.stderr}"
        )
    switch(cxn, root, name)
    prune(cxn, root, keep=int(c.config.deploy.keep))
    print(f"Deployed {name}.")


@task
def rollback(c: Context) -> None:
    """Make the release before the live one live again."""
    cxn = server(c)
    root = c.config.deploy.root
    live = live_release(cxn, root)
    older = [name for name in releases(cxn, root) if name < live]
    if not older:
        raise Exit(f"No release before {live}: nothing to roll back to.")
    switch(cxn, root, older[-1])
    print(f"Rolled back to {older[-1]}.")


def answered_version(health: str) -> str | None:
    """The version in the smoke test's /api/health answer, if it is one."""
    try:
        answer = json.loads(health)
    except ValueError:
        return None
    return answer.get("version") if isinstance(answer, dict) else None


def live_release(cxn: Connection, root: str) -> str:
    """The name of the release that `current` points at."""
    link = cxn.run(f"readlink {q(root)}/current", warn=True, hide=True)
    if not link.ok:
        raise Exit(f"Nothing is deployed in {root} yet: run `fab deploy`.")
    return str(link.stdout.strip().removeprefix("releases/"))


def releases(cxn: Connection, root: str) -> list[str]:
    """The release names, oldest first (they start with the deploy time)."""
    listing = cxn.run(f"ls -1 {q(root)}/releases", hide=True).stdout
    return sorted(listing.split())


def switch(cxn: Connection, root: str, name: str) -> None:
    """Point `current` at a release in one step, then let the server reload."""
    # A new link renamed over the old one: never a moment without `current`.
    cxn.run(
        f"cd {q(root)} && ln -sfn {q('releases/' + name)} current.new"
        " && mv -T current.new current"
    )
    cxn.run(f"cd {q(root)} && {cxn.config.deploy.reload}")


def prune(cxn: Connection, root: str, keep: int) -> None:
    """Remove all but the newest `keep` releases, and never the live one."""
    live = live_release(cxn, root)
    for name in releases(cxn, root)[:-keep]:
        if name != live:
            cxn.run(f"rm -rf {q(root)}/releases/{q(name)}")
