"""`python -m mutation [FOLDER ...]`: mutate each example against its own tests.

The folder is copied to a scratch directory with its mutmut settings added
(the package to mutate, its tests), so the repository is never touched and
mutmut's own files stay out of it. Then one row per example in RESULTS.md:
mutants, killed, equivalent, survived, and the score (killed of the
mutants that are not equivalent); each survivor not explained in
equivalent/<folder>.toml is printed with its diff.

Never part of `make test` or CI: it runs each example's tests once per mutant.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cookbook import catalogue

HERE = Path(__file__).parent
RESULTS = HERE / "RESULTS.md"
EQUIVALENT = HERE / "equivalent"  # <folder>.toml: mutant name = why
TARGET = 0.95
# Never copied: data, caches, and what mutmut itself writes.
IGNORED = shutil.ignore_patterns(
    "instance", "__pycache__", ".pytest_cache", ".hypothesis", "mutants"
)
# Written beside the copy's tests (conftest.py) when equivalent/<folder>.toml
# names, in a table, the fixtures of tests that run the package elsewhere.
# [fresh_virtualenv]: tests that install the package into a new virtualenv;
# mutmut's rewrite of the package imports mutmut, which that virtualenv lacks.
# Such tests run none of the package in the test process, so they could kill
# no mutant anyway: skipped.
# [other_process]: tests whose subprocess (a Celery worker) imports the copy
# and runs `modules`. mutmut learns which tests reach a function only in the
# test process, so it would call those mutants "no tests" and never run them:
# while mutmut gathers its stats, such a test counts as reaching every
# function of those modules. The subprocess inherits MUTANT_UNDER_TEST.
COPY_CONFTEST = """\
import pytest

SKIPPED = {skipped!r}
ELSEWHERE = {elsewhere!r}
REACHED = {reached!r}


def pytest_collection_modifyitems(items):
    for item in items:
        if SKIPPED & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.skip(reason="installs the package anew"))


def pytest_runtest_setup(item):
    from mutmut.mutation.trampoline import get_mutant_under_test
    from mutmut.stats import record_trampoline_hit

    fixtures = set(getattr(item, "fixturenames", ()))
    if ELSEWHERE & fixtures and get_mutant_under_test() == "stats":
        for name in REACHED:
            record_trampoline_hit(name)
"""


def functions_of(copy: Path, module: str) -> list[str]:
    """mutmut's names for the top-level functions of `module` in the copy."""
    path = copy / module.replace(".", "/")
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    source = path.read_text()
    return [
        f"{module}.x_{node.name}"
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


# Decorators mutmut may leave in place: its trampoline handles these itself.
KEPT_DECORATORS = {"staticmethod", "classmethod", "overload", "property"}


def undecorate(source: str) -> str:
    """The module with each decorated top-level function written as a plain
    `def` followed by `name = decorator(name)`, which Python does anyway.
    mutmut never mutates a decorated function (its copies would register a
    route twice), and a view is the heart of an example: this way it mutates
    views, hooks, commands and tasks too, and the decorators still see one
    function of the same name."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    functions = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.decorator_list
        and not {ast.unparse(d) for d in node.decorator_list} & KEPT_DECORATORS
    ]
    for function in reversed(functions):  # from the end: line numbers hold
        applied = function.name
        for decorator in reversed(function.decorator_list):
            applied = f"({ast.unparse(decorator)})({applied})"
        assert function.end_lineno is not None
        lines.insert(function.end_lineno, f"{function.name} = {applied}\n")
        first = function.decorator_list[0].lineno - 1  # the line of its "@"
        del lines[first : function.lineno - 1]
    return "".join(lines)


@dataclass
class Row:
    folder: str
    mutants: int
    killed: int
    equivalent: int
    survived: int  # neither killed nor explained as equivalent
    date: str

    @property
    def score(self) -> float:
        meaningful = self.mutants - self.equivalent
        return self.killed / meaningful if meaningful else 1.0

    def cells(self) -> list[str]:
        met = "yes" if self.score >= TARGET else "no"
        return [
            self.folder, str(self.mutants), str(self.killed), str(self.equivalent),
            str(self.survived), f"{self.score:.1%}", met, "yes", self.date,
        ]  # fmt: skip


HEADERS = [
    "example",
    "mutants",
    "killed",
    "equivalent",
    "survived",
    "score",
    "≥ 95%",
    "views",
    "date",
]


def mutmut(copy: Path, *args: str) -> str:
    """Run mutmut in the copy; what it printed. A missing server fails the
    tests under CI=true, where it would skip them: a skip kills no mutant."""
    return (
        subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "mutmut", *args],
            cwd=copy,
            env={**os.environ, "CI": "true"},
            capture_output=args[0] != "run",  # the run shows its progress
            text=True,
            check=False,
        ).stdout
        or ""
    )


def mutate(example: catalogue.Example, children: int) -> tuple[Row, list[str]]:
    """Run mutmut on a copy of the example; its row and the unexplained survivors."""
    listed = EQUIVALENT / f"{example.folder}.toml"
    explained = tomllib.loads(listed.read_text()) if listed.exists() else {}
    fresh_virtualenv = explained.pop("fresh_virtualenv", {})
    other_process = explained.pop("other_process", {})
    with tempfile.TemporaryDirectory(prefix=f"mutation-{example.folder}-") as scratch:
        copy = Path(scratch) / example.folder
        shutil.copytree(example.path, copy, ignore=IGNORED)
        for module in (copy / example.module).rglob("*.py"):
            module.write_text(undecorate(module.read_text()))
        if fresh_virtualenv or other_process:
            reached = [
                name
                for module in other_process.get("modules", [])
                for name in functions_of(copy, module)
            ]
            conftest = COPY_CONFTEST.format(
                skipped=set(fresh_virtualenv.get("fixtures", [])),
                elsewhere=set(other_process.get("fixtures", [])),
                reached=reached,
            )
            (copy / "conftest.py").write_text(conftest)
        # mutmut copies only the package and the tests into its own folder:
        # the tests also need what sits beside them (make_celery.py, fabfile.py,
        # make_favicon.py, the README).
        beside = sorted(
            path.name
            for path in copy.iterdir()
            if path.name not in {example.module, "tests", "pyproject.toml"}
        )
        with (copy / "pyproject.toml").open("a") as pyproject:
            pyproject.write(
                "\n[tool.mutmut]\n"
                f'source_paths = ["{example.module}/"]\n'
                f"also_copy = {json.dumps(beside)}\n"
                'pytest_add_cli_args_test_selection = ["tests/"]\n'
                'pytest_add_cli_args = ["-p", "no:cacheprovider"]\n'
            )
        mutmut(copy, "run", "--max-children", str(children))
        states = dict(
            line.strip().rsplit(": ", 1)
            for line in mutmut(copy, "results", "--all", "true").splitlines()
            if ": " in line
        )
        if not states or "not checked" in states.values():
            # The tests failed before any mutant was tried (mutmut's clean run).
            raise SystemExit(f"{example.folder}: mutmut could not run its tests")
        # A mutant that makes the tests run past mutmut's time limit is caught
        # too: pytest-timeout fails a test that hangs (an endless read loop).
        alive = [n for n, state in states.items() if state not in {"killed", "timeout"}]
        unexplained = [name for name in alive if name not in explained]
        diffs = [mutmut(copy, "show", name) for name in unexplained]
        # An explanation whose mutant was killed, or renamed by an edit of its
        # function, explains nothing now: to be removed or renumbered.
        diffs += [
            f"# {name}: explained, but no such survivor"
            for name in explained
            if name not in alive
        ]
    row = Row(
        example.folder,
        mutants=len(states),
        killed=len(states) - len(alive),
        equivalent=len(alive) - len(unexplained),
        survived=len(unexplained),
        date=datetime.date.today().isoformat(),
    )
    return row, diffs


def read_rows() -> dict[str, list[str]]:
    """The table's rows as RESULTS.md has them, by folder."""
    rows = {}
    if RESULTS.exists():
        for line in RESULTS.read_text().splitlines():
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if line.startswith("| ") and cells[0] in catalogue.PATTERNS:
                if len(cells) == len(HEADERS) - 1:  # from before the views column
                    cells.insert(HEADERS.index("views"), "no")
                rows[cells[0]] = cells
    return rows


def write_rows(rows: dict[str, list[str]]) -> None:
    lines = [
        "# Mutation testing",
        "",
        "Written by `make mutation` (`python -m mutation`): each example's package",
        "mutated by mutmut and run against the example's own tests. The score is",
        "killed / (mutants - equivalent); each equivalent mutant is explained in",
        "`mutation/equivalent/<folder>.toml`. The target is 95% for every example.",
        "",
        "mutmut leaves decorated functions alone; the tool writes each decorated",
        "function of the copy as a plain `def` and `name = decorator(name)`, so that",
        "views, hooks, commands and tasks are mutated too. `views` says whether a",
        "row was measured so: a `no` is from before, and needs a new run.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join("---" for _ in HEADERS) + "|",
        *(
            "| " + " | ".join(rows[folder]) + " |"
            for folder in catalogue.PATTERNS
            if folder in rows
        ),
        "",
    ]
    RESULTS.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__)
    parser.add_argument("folders", nargs="*", metavar="FOLDER", help="default: all")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    examples = [
        e for e in catalogue.discover() if not args.folders or e.folder in args.folders
    ]
    unknown = set(args.folders) - {e.folder for e in examples}
    if unknown:
        parser.error(f"no such example: {', '.join(sorted(unknown))}")
    missed = 0
    for example in examples:
        row, diffs = mutate(example, args.children)
        # After each example, a long run keeps what it measured; under a lock,
        # so runs for different examples at once keep each other's rows.
        with RESULTS.with_suffix(".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            rows = read_rows()
            rows[example.folder] = row.cells()
            write_rows(rows)
        missed += row.score < TARGET
        print(f"\n{example.folder}: {row.killed} of {row.mutants - row.equivalent} "
              f"killed ({row.score:.1%}), {row.equivalent} equivalent")  # fmt: skip
        for diff in diffs:
            print(diff)
    print(json.dumps({"examples": len(examples), "below target": missed}))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
