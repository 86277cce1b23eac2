# Two commands for a fresh clone: `make run` and `make test`.
# Needs only python3 (3.11+) and make: uv is fetched into .tools/, the
# locked dependencies into .venv/, and nothing is installed globally.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin

# uv must use the Python that is here, never download one of its own.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Compile the installed packages' bytecode once, at install (as pip does and
# uv does not by default): where PYTHONDONTWRITEBYTECODE is set, as on CI,
# every Python process of the suite would otherwise compile all it imports.
export UV_COMPILE_BYTECODE := 1
# And let the suite's own processes keep theirs: with PYTHONDONTWRITEBYTECODE
# set, every pytest-xdist worker and every server a test starts compiles the
# examples and rewrites the test modules' asserts anew (seconds of CPU each).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-copies test-reliability lint typecheck pytest coverage sync clean test-oldest test-newest test-main bench stress mutation

run: sync  ## Serve the gallery of every example on http://127.0.0.1:5000
	$(BIN)/python -m cookbook run

test: lint typecheck pytest  ## Lint, type-check and run the whole suite

lint: sync
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: sync
	$(BIN)/mypy

# In parallel: one pytest-xdist worker per core and one more (at most 8), so
# that a test waiting on a server, a browser or a subprocess leaves no core
# idle. Each worker starts its own browser and servers: on two cores, four
# workers took 15-30 s longer than three, two about 15 s longer. Work
# stealing: a worker that runs out takes tests queued for another, so none is
# left with a backlog at the end. PYTEST_ARGS="-n 0" runs it in one process.
XDIST := --numprocesses $(shell $(PYTHON) -c "import os; print(min((os.cpu_count() or 1) + 1, 8))") --dist worksteal
# Everything but the copy checks and the reliability figures (load and
# timings, which never belong in `make test`): each has a target of its own.
SUITE := -m "not copies and not reliability"
pytest: sync
	$(BIN)/pytest $(XDIST) $(SUITE) $(PYTEST_ARGS)

# The same suite with branch coverage of examples/ and cookbook/ in every
# process the tests start (servers and Celery workers too), reported at the
# end. Measuring every line costs about half as much CPU again, which on two
# cores makes the run about a third longer: so `make test` leaves it out.
coverage: sync  ## The whole suite with branch coverage, and its report
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest $(XDIST) $(SUITE) $(PYTEST_ARGS)
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

# Every example that is a project of its own, copied alone into an empty
# folder and installed into a fresh virtualenv: its tests pass there too.
test-copies: sync
	$(BIN)/pytest $(XDIST) -m copies tests/test_copies.py $(PYTEST_ARGS)

# The reliability figures in their short form (make stress has the full one):
# real servers under load, each figure at its target: one worker per core (at
# most 4), so that the load the figures measure is the servers' own.
test-reliability: sync
	$(BIN)/pytest --numprocesses auto --maxprocesses 4 -m reliability tests/test_reliability.py $(PYTEST_ARGS)

sync: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Re-sync only when the lock file changes.
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --all-groups
	touch $@

bench: sync  ## The benchmarks: one table, also written to bench/RESULTS.md
	$(BIN)/python -m bench $(BENCH_ARGS)

# Each example's package mutated, each mutant run against the example's own
# tests: the table in mutation/RESULTS.md. EXAMPLE=<folder> for one example.
mutation: sync  ## Mutation testing of every example (slow), or EXAMPLE=<folder>
	$(BIN)/python -m mutation $(EXAMPLE) $(MUTATION_ARGS)

stress: sync  ## The reliability figures at full size (about 5 minutes): one table
	$(BIN)/python -m stress $(STRESS_ARGS)

# The suite on the oldest versions pyproject.toml allows for every direct
# dependency, and on the newest releases (Flask's and Werkzeug's
# pre-releases included), each in a virtualenv of its own: .venv/ stays as
# the lock file has it.
test-oldest: | $(UV)
	@mkdir -p .venv-oldest
	$(UV) pip compile -q pyproject.toml --group dev --resolution lowest-direct --upgrade -o .venv-oldest/requirements.txt
	$(UV) venv -q --allow-existing .venv-oldest
	$(UV) pip sync -q --python .venv-oldest .venv-oldest/requirements.txt
	.venv-oldest/bin/pytest $(XDIST) $(SUITE) $(PYTEST_ARGS)

test-newest: | $(UV)
	@mkdir -p .venv-newest
	$(UV) pip compile -q pyproject.toml .ci/prereleases.in --group dev --upgrade --prerelease explicit -o .venv-newest/requirements.txt
	$(UV) venv -q --allow-existing .venv-newest
	$(UV) pip sync -q --python .venv-newest .venv-newest/requirements.txt
	.venv-newest/bin/pytest $(XDIST) $(SUITE) $(PYTEST_ARGS)

# The suite on Flask's and Werkzeug's development branches, with every other
# package as the lock file has it, in .venv-main/. FLASK and WERKZEUG take
# anything pip installs: a git URL (the default), a local checkout or a wheel.
#   make test-main FLASK=../flask WERKZEUG=dist/werkzeug-3.2.0.dev0-py3-none-any.whl
# Not run by CI, which cannot reach those repositories.
FLASK ?= git+https://github.com/pallets/flask@main
WERKZEUG ?= git+https://github.com/pallets/werkzeug@main
test-main: | $(UV)
	@mkdir -p .venv-main
	$(UV) export -q --frozen --all-groups --no-hashes --no-emit-project -o .venv-main/requirements.txt
	$(UV) venv -q --allow-existing .venv-main
	$(UV) pip sync -q --python .venv-main .venv-main/requirements.txt
	$(UV) pip install -q --python .venv-main "$(FLASK)" "$(WERKZEUG)"
	.venv-main/bin/python -c 'from importlib.metadata import version as v; print("flask", v("flask"), "werkzeug", v("werkzeug"))'
	.venv-main/bin/pytest $(XDIST) $(SUITE) $(PYTEST_ARGS)

clean:
	rm -rf .tools $(VENV) .venv-oldest .venv-newest .venv-main .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage .coverage.*
