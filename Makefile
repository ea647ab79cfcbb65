# The README's two commands are `make up` and `make test`; CI calls `make test` too.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

.PHONY: up test lint format browser bench-clean clean

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## up: install into .venv and run the whole platform on embedded defaults
up: $(VENV)/.runtime
	$(BIN)/clickstream up

## browser: Debian's Chromium for the browser tests (installed with apt when missing and root)
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install chromium' (Debian) and retry" >&2; exit 1; \
	  fi; \
	fi

## test: install dev dependencies and Chromium, then run every test
test: $(VENV)/.dev browser
	$(BIN)/pytest

## lint: ruff and mypy, as CI runs them
lint: $(VENV)/.dev
	$(BIN)/ruff check clickstream tests bench
	$(BIN)/ruff format --check clickstream tests bench
	$(BIN)/mypy

format: $(VENV)/.dev
	$(BIN)/ruff format clickstream tests bench
	$(BIN)/ruff check --fix clickstream tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
