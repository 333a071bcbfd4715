# Tribune: `make run` serves the platform, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CATALOGUE := tribune/translations/fr/LC_MESSAGES/messages
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstalled whenever the lock file changes; the stamp makes repeated runs instant.
$(VENV)/.installed: requirements-dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	touch $@

$(CATALOGUE).mo: $(CATALOGUE).po $(VENV)/.installed
	$(BIN)/pybabel compile -d tribune/translations -D messages 2>&1 | grep -v '^compiling' || true
	@test -f $@

.PHONY: install
install: $(VENV)/.installed $(CATALOGUE).mo ## create .venv with the locked dependencies and build the French catalogue

# The W3C Nu HTML checker the tests run over every kind of page (needs npm and Java);
# pinned in package.json and package-lock.json. Without it that test is skipped.
VNU_JAR := node_modules/vnu-jar/build/dist/vnu.jar

$(VNU_JAR): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@test -f $@ && touch $@

.PHONY: html-checker
html-checker: $(VNU_JAR) ## install the HTML checker (npm vnu-jar) that the tests run
	@java -jar $(VNU_JAR) --version

.PHONY: migrate
migrate: install ## apply the database migrations
	$(BIN)/python -m tribune migrate

.PHONY: demo
demo: migrate ## load the demo tribunals and staff (once; development only)
	$(BIN)/python -m tribune demo-data

.PHONY: run
run: demo ## set everything up and serve on HOST:PORT (default 127.0.0.1:8000)
	@echo "Tribune is starting on http://$(HOST):$(PORT)/  (stop with Ctrl-C)"
	$(BIN)/python -m tribune serve --host $(HOST) --port $(PORT)

.PHONY: worker
worker: install ## run a job worker (make run already starts one in development)
	$(BIN)/python -m tribune worker

.PHONY: test
test: install ## run the whole suite on SQLite, and on PostgreSQL beside it if TRIBUNE_TEST_DATABASE_URL is set
	@# The HTML checker needs Java and npm; without them its test is skipped (CI requires it).
	@if command -v java >/dev/null && command -v npm >/dev/null; then $(MAKE) --no-print-directory html-checker; fi
	@# The two runs share nothing (each its own database, folders and ports) and spend much of
	@# their time waiting, so they run side by side; PostgreSQL's report follows SQLite's.
	@if [ -z "$$TRIBUNE_TEST_DATABASE_URL" ]; then exec $(BIN)/pytest $(PYTEST_ARGS); fi; \
	mkdir -p var; \
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS) >var/test-postgresql.log 2>&1 & postgresql=$$!; \
	echo "== the suite on SQLite (PostgreSQL's run goes on beside it: var/test-postgresql.log)"; \
	env -u TRIBUNE_TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS); sqlite_status=$$?; \
	wait $$postgresql; postgresql_status=$$?; \
	echo "== the same suite on PostgreSQL"; cat var/test-postgresql.log; \
	[ $$sqlite_status -eq 0 ] && [ $$postgresql_status -eq 0 ]

.PHONY: check
check: install ## formatting, lint, and strict types of the application, the tests and infra
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
# infra/bench/payments.py is named like the app's package, which it imports: with infra/bench
# on mypy's path it would stand for that package, so it is checked apart, as infra.bench.payments
	MYPYPATH=. $(BIN)/mypy tests infra --exclude 'infra/bench/payments\.py'
	$(BIN)/mypy --explicit-package-bases infra/bench/payments.py

.PHONY: messages
messages: install ## extract the messages and update the French catalogue
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs='.venv var static tests infra' -k lazy_gettext \
	  --no-location --sort-output --omit-header -o tribune/translations/messages.pot . >/dev/null
	$(BIN)/pybabel update -i tribune/translations/messages.pot -d tribune/translations \
	  --no-fuzzy-matching --ignore-obsolete --no-wrap

.PHONY: lock
lock: install ## re-resolve the dependencies of pyproject.toml into the lock files
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-header -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --no-header -q -o requirements-dev.lock

.PHONY: clean
clean: ## remove the virtual environment and local data (var/)
	rm -rf $(VENV) var
