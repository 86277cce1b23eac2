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

.PHONY: run test lint typecheck pytest sync clean

run: sync  ## Serve the gallery of every example on http://127.0.0.1:5000
	$(BIN)/python -m cookbook run

test: lint typecheck pytest  ## Lint, type-check and run the whole suite

lint: sync
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: sync
	$(BIN)/mypy

pytest: sync
	$(BIN)/pytest $(PYTEST_ARGS)

sync: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Re-sync only when the lock file changes.
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --all-groups
	touch $@

clean:
	rm -rf .tools $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
