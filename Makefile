# The README's two commands are `make up` and `make test`; CI calls `make test` too.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
# plotly.js's partial "cartesian" build for the dashboard, pinned by version and by the sha512
# of its npm tarball (`npm view plotly.js-cartesian-dist-min@4.1.1 dist.integrity`); the same
# plotly.js version as the Python plotly package ships. Installed once, here, never at run
# time; without npm the dashboard serves the full build from the Python package instead.
PLOTLY_JS_PACKAGE := plotly.js-cartesian-dist-min@4.1.1
PLOTLY_JS_INTEGRITY := sha512-o8GrFeusncwBIxbBynRJpY4pkgVB6caM+JLpwrLYbbsO7dZ8FJ+SVN2Fr+L7kiG/Z6w4P5O0Jus/Qr5EefHVeg==
PLOTLY_JS := $(VENV)/share/clickstream/plotly-cartesian.min.js

.PHONY: up test lint format browser java plotly-js bench-clean clean

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $@

## plotly-js: the dashboard's partial plotly.js build from npm, checked against its pinned hash
plotly-js: $(PLOTLY_JS)

$(PLOTLY_JS): Makefile | $(VENV)/.runtime
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm not found: the dashboard will serve the full plotly.js from the plotly package"; \
	else \
	  set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  if ! npm pack --silent --pack-destination "$$tmp" $(PLOTLY_JS_PACKAGE) >/dev/null; then \
	    echo "npm could not fetch $(PLOTLY_JS_PACKAGE): the dashboard will serve the full plotly.js"; \
	    exit 0; \
	  fi; \
	  got=$$($(BIN)/python -c 'import base64, hashlib, sys; print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$$tmp"/*.tgz); \
	  if [ "$$got" != "$(PLOTLY_JS_INTEGRITY)" ]; then echo "$(PLOTLY_JS_PACKAGE): unexpected hash $$got" >&2; exit 1; fi; \
	  tar -xzf "$$tmp"/*.tgz -C "$$tmp" package/plotly-cartesian.min.js; \
	  mkdir -p $(@D); mv "$$tmp"/package/plotly-cartesian.min.js $@; touch $@; \
	fi

## up: install into .venv and run the whole platform on embedded defaults
up: $(VENV)/.runtime plotly-js
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

## java: Debian's Java 17 runtime for the Spark engine's tests (installed with apt when missing and root)
java:
	@if ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else \
	    echo "Java is missing: run 'sudo apt-get install openjdk-17-jre-headless' (Debian) and retry" >&2; exit 1; \
	  fi; \
	fi

## test: install dev dependencies, Chromium and Java, then run every test
test: $(VENV)/.dev browser java plotly-js
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
