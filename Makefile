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
# The third-party trackers the ingest API accepts, driven in Chromium by the tests (never
# served by Clickstream): pinned by version and by the sha512 of their npm tarballs.
SEGMENT_JS_PACKAGE := @segment/analytics-next@1.84.3
SEGMENT_JS_INTEGRITY := sha512-5l7cPBzScxhfJ0zdcKQI4daDvMIWWUk7hClT1xGRelnHUltIEoQ9w8+ZpFPoWJMpX8D7IA1nVAfJbpiKi3XaKw==
SDKS := $(VENV)/share/clickstream/sdks

.PHONY: up test lint format browser fuse java plotly-js sdks bench-clean clean

# pip's output (an editable install's setuptools warnings and all) goes to a log, shown only
# when the install fails, so that `make up` prints Clickstream's own lines.
PIP_LOG := $(VENV)/pip.log
# An editable install leaves our own modules uncompiled (a wheel install compiles them): with
# PYTHONDONTWRITEBYTECODE set, every `clickstream` command would compile each module it imports
# from source at start. Compiled once here instead (docs/etl.md, "Start-up"); Python ignores
# the bytecode of a source file changed since, so it is never stale, only not used.
COMPILE := $(BIN)/python -m compileall -q clickstream

$(VENV)/.runtime: pyproject.toml
	@echo "installing Clickstream into $(VENV) (pip's output: $(PIP_LOG))"
	@$(PYTHON) -m venv $(VENV)
	@( $(BIN)/pip install --quiet --upgrade pip && $(BIN)/pip install --quiet -e . ) \
	  > $(PIP_LOG) 2>&1 || { cat $(PIP_LOG) >&2; echo "pip install failed (log: $(PIP_LOG))" >&2; exit 1; }
	@$(COMPILE)
	@touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	@$(COMPILE)
	touch $@

# the AWS extra (CDK, cdk-nag, cfn-lint): its tests synthesize the CDK app offline
$(VENV)/.aws: pyproject.toml $(VENV)/.dev
	$(BIN)/pip install --quiet -e '.[aws]'
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

## sdks: the Segment and AWS Clickstream browser SDKs the adoption tests drive (tests/sdks/)
sdks: $(SDKS)/analytics-next/index.js $(SDKS)/clickstream-web.js

# npm ci checks every package against the lock file's integrity hashes.
$(SDKS)/clickstream-web.js: tests/sdks/package.json tests/sdks/package-lock.json tests/sdks/entry.js | $(VENV)/.runtime
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: the SDK browser tests will be skipped (they fail in CI)"; exit 0; }; \
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp tests/sdks/package.json tests/sdks/package-lock.json tests/sdks/entry.js "$$tmp"/; \
	(cd "$$tmp" && npm ci --silent --omit=peer --ignore-scripts --no-audit --no-fund && \
	  node_modules/.bin/esbuild entry.js --bundle --format=iife --global-name=ClickstreamWeb \
	    --platform=browser --log-level=warning --outfile=clickstream-web.js); \
	mkdir -p $(@D); mv "$$tmp"/clickstream-web.js $@

$(SDKS)/analytics-next/index.js: Makefile | $(VENV)/.runtime
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: the SDK browser tests will be skipped (they fail in CI)"; exit 0; }; \
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	npm pack --silent --pack-destination "$$tmp" $(SEGMENT_JS_PACKAGE) >/dev/null; \
	got=$$($(BIN)/python -c 'import base64, hashlib, sys; print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$$tmp"/*.tgz); \
	if [ "$$got" != "$(SEGMENT_JS_INTEGRITY)" ]; then echo "$(SEGMENT_JS_PACKAGE): unexpected hash $$got" >&2; exit 1; fi; \
	tar -xzf "$$tmp"/*.tgz -C "$$tmp" package/dist/umd; \
	rm -rf $(@D); mkdir -p $(@D); \
	for f in "$$tmp"/package/dist/umd/*.js; do cp "$$f" $(@D)/; done; touch $@

## fuse: Debian's libfuse 3 for the power-cut tests' FUSE disk (installed with apt when root)
fuse:
	@if ! ldconfig -p | grep -q 'libfuse3\.so\.3 '; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fuse3 >/dev/null; \
	  else \
	    echo "libfuse3 is missing: run 'sudo apt-get install fuse3' (Debian) and retry" >&2; exit 1; \
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

## test: install dev dependencies, Chromium, libfuse, Java and the SDKs, then run every test
# pytest-xdist workers: most tests wait on servers, browsers and PostgreSQL, so two workers
# on a 2-core machine finish the suite sooner. Each worker that runs a Spark or CDK test starts
# its own SparkSession or synth (xdist_group marks are not honoured with pytest 9 here, so at
# most two of each per run). TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2
test: $(VENV)/.dev $(VENV)/.aws browser fuse java plotly-js sdks
	$(BIN)/pytest -n $(TEST_WORKERS)

## lint: ruff and mypy, as CI runs them
lint: $(VENV)/.dev $(VENV)/.aws
	$(BIN)/ruff check clickstream tests bench
	$(BIN)/ruff format --check clickstream tests bench
	$(BIN)/mypy

format: $(VENV)/.dev
	$(BIN)/ruff format clickstream tests bench
	$(BIN)/ruff check --fix clickstream tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
