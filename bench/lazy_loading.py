"""lazy_loading: starting the app with its views lazy, against importing them all.

The example's views import nothing heavy, so the benchmark copies its
package into a temporary folder and gives each view module a heavy import,
as a real one has: `users.py` imports SQLAlchemy's ORM, `views.py`
markdown-it. Each start is a fresh `python` process that imports the
framework (Flask; both variants need it), then, timed, imports the app,
calls create_app() and builds its URL map's matcher. The eager variant is
the same app with every view loaded up front (`LazyView.load()` on each:
what plain `from .users import user` imports would do). CPU time of that
section, alternated, REPEATS times each; the medians are compared.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import base_env
from . import median
from . import ROOT
from . import Row

NAME = "lazy_loading"
TARGET = 0.2
REPEATS = 5
HEAVY = {"users.py": "import sqlalchemy.orm", "views.py": "import markdown_it"}
HEAVY_MODULES = ("sqlalchemy.orm", "markdown_it")

START = """
import json, sys, time
import flask  # the framework, which both variants load: not timed
t0, c0 = time.perf_counter(), time.process_time()
from lazyapp import create_app
app = create_app({"SECRET_KEY": "bench"})
if sys.argv[1] == "eager":
    for view in app.view_functions.values():
        getattr(view, "load", lambda: None)()
app.url_map.bind("localhost").match("/")  # compiles the URL map's matcher
cpu = time.process_time() - c0
loaded = sorted(m for m in sys.argv[2:] if m in sys.modules)
print(json.dumps({"cpu": cpu, "wall": time.perf_counter() - t0, "heavy": loaded}))
"""


def copy_with_heavy_views(folder: Path) -> None:
    package = folder / "lazyapp"
    shutil.copytree(
        ROOT / "examples" / "lazy_loading" / "lazyapp",
        package,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name, line in HEAVY.items():
        path = package / name
        text = path.read_text()
        marker = "from __future__ import annotations\n"
        assert marker in text, f"{name} changed: put the heavy import elsewhere"
        path.write_text(text.replace(marker, f"{marker}\n{line}\n", 1))


def start(folder: Path, variant: str) -> tuple[dict[str, object], float]:
    """One fresh process: what it timed, and the whole process's CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [sys.executable, "-c", START, variant, *HEAVY_MODULES],
        cwd=folder,
        env=base_env(PYTHONDONTWRITEBYTECODE="", PYTHONPATH=str(folder)),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    whole = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    timed: dict[str, object] = json.loads(result.stdout)
    return timed, whole


def run(quick: bool = False) -> list[Row]:
    repeats = 3 if quick else REPEATS
    folder = Path(tempfile.mkdtemp(prefix="bench-lazy-"))
    try:
        copy_with_heavy_views(folder)
        times: dict[str, list[float]] = {"lazy": [], "eager": []}
        whole: dict[str, list[float]] = {"lazy": [], "eager": []}
        for variant in times:  # once untimed: writes the bytecode caches
            start(folder, variant)
        for _ in range(repeats):
            for variant in times:
                timed, process = start(folder, variant)
                expected = [] if variant == "lazy" else sorted(HEAVY_MODULES)
                if timed["heavy"] != expected:
                    raise RuntimeError(f"{variant}: heavy modules {timed['heavy']}")
                times[variant].append(float(timed["cpu"]))  # type: ignore[arg-type]
                whole[variant].append(process)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lazy, eager = median(times["lazy"]), median(times["eager"])
    lazy_whole, eager_whole = median(whole["lazy"]), median(whole["eager"])
    met = lazy / eager <= TARGET
    return [
        Row(
            NAME,
            f"CPU time to import the app, create it and build its URL map, "
            f"views importing SQLAlchemy's ORM and markdown-it: {lazy * 1000:.0f} ms "
            f"(median of {repeats} fresh processes, Flask already imported)",
            f"the same app with eager imports: {eager * 1000:.0f} ms",
            f"{lazy / eager:.2f}",
            f"at most {TARGET}",
            met,
            why_missed=(
                ""
                if met
                else "Starting the lazy app still costs a large part of the eager "
                "start: something the app imports at start-up (urls.py, "
                "lazy.py) pulls in what the views would."
            ),
        ),
        Row(
            NAME,
            f"the whole process (`python -c`, Flask's import included): "
            f"{lazy_whole * 1000:.0f} ms CPU",
            f"the same with eager imports: {eager_whole * 1000:.0f} ms CPU",
            f"{lazy_whole / eager_whole:.2f}",
            "for information, no target",
            None,
        ),
    ]
