# Claimdesk — the two commands are `make run` and `make test`; the rest are their parts.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Two workers on the 2-core machines this runs on (pytest-xdist); 0 runs in one process.
PYTEST_WORKERS ?= 2

export UV_PYTHON_DOWNLOADS := never
# Compiled bytecode goes to one cache outside the source folders (no __pycache__ in the
# checkout), where every later Python process finds it: the pytest workers, the servers
# and the scripts of `make test` each compiled Django and the libraries they import anew
# with PYTHONDONTWRITEBYTECODE (~3 s of CPU more per process start, measured).
export PYTHONPYCACHEPREFIX := $(CURDIR)/.cache/pycache
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help setup browser run serve demo migrate test test-recap check lint lint-code lint-imports lint-migrations check-tests format typecheck test-sqlite test-postgres test-api-fuzz bench bench-small bench-peers bench-throughput serve-prod clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python "$$(scripts/find-python)"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.synced node_modules/.installed ## Create the venv and install Python and npm packages

browser: ## Install Debian's Chromium for the browser tests (if missing)
	scripts/ensure-chromium

migrate: setup
	$(MANAGE) migrate --no-input

demo: migrate ## Load the seed articles, the seed source registry, the demo users and example annotations
	$(MANAGE) seed_demo --examples

run: demo ## Set everything up and serve on http://127.0.0.1:8000 with the seed data
	$(MANAGE) runserver $(HOST):$(PORT)

lint: lint-code lint-imports lint-migrations docs ## ruff, the import layers (pyproject.toml), no missing migration, the docs build

lint-code: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lint-imports: setup
	$(VENV)/bin/lint-imports --no-cache

lint-migrations: setup
	$(MANAGE) makemigrations --check --dry-run

# The fast loop: the lints and the SQLite suite without the browser tests, side by side
# (each one's output kept together); `make test` is the whole of CI.
check: setup ## The fast loop: ruff, import layers, migrations, the docs build, SQLite tests without browser
	@$(MAKE) --no-print-directory -j 4 --output-sync=target lint-code lint-imports lint-migrations docs check-tests

check-tests: setup
	env -u DATABASE_URL $(VENV)/bin/pytest -n $(PYTEST_WORKERS) -q -m "not browser" $(PYTEST_ARGS)

format: setup ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The documentation site (mkdocs.yml; docs/ and bench/*.md) into site/. Strict: a broken link,
# a missing anchor or a page left out of the nav fails the build. Nothing is fetched.
# (No --quiet: with it, MkDocs 1.6 no longer counts the warnings and strict passes anyway.)
.PHONY: docs
docs: setup ## Build the documentation site into site/ (MkDocs, strict)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

typecheck: setup ## mypy with django-stubs
	$(VENV)/bin/mypy .

# Each leg's output is also kept in .test-results/<leg>.log for the recap at the end of `make test`.
RESULTS := .test-results

test-sqlite: setup browser ## The test suite on SQLite
	@mkdir -p $(RESULTS)
	set -o pipefail; env -u DATABASE_URL $(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS) 2>&1 | tee $(RESULTS)/sqlite.log

# The throwaway cluster through its Unix socket (PG_SOCKET=1, scripts/lib/postgres.sh): a query's
# round trip took ~150 µs against ~215 µs over TCP on 127.0.0.1, its client CPU 20 µs against 27.
test-postgres: setup browser ## The test suite on PostgreSQL (a throwaway cluster unless DATABASE_URL is set)
	@mkdir -p $(RESULTS)
	set -o pipefail; PG_SOCKET=1 scripts/with-postgres $(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS) 2>&1 | tee $(RESULTS)/postgres.log

test-api-fuzz: setup ## Fuzz the REST API against its OpenAPI schema (schemathesis, about 2 minutes)
	scripts/schemathesis

# The static checks run side by side (two at a time on the 2-core machines: mypy beside the
# lints and the docs build; each one's output kept together). Then the fuzzing beside the
# small benchmark: neither fills the two cores alone (CPU over wall, issue 21: schemathesis
# ~0.5 of a core, its client and the server; bench-small ~1.1 per database, one process and
# its database server), so bench-small runs its two databases side by side (--side-by-side;
# one after the other, the second core was half idle once schemathesis had ended, over 200 of
# the step's 449 s), and bench-small's figures are figures only, no pass/fail (for figures
# read alone, `make bench`). Then the load test, alone (it counts "database is locked" answers). The two
# pytest legs run last, side by side (TEST_LEGS_JOBS=1: one after the other): they share no
# state (SQLite in memory, a cluster of its own), and the PostgreSQL leg's workers spend much
# of their time waiting for the server's answers (its client CPU time is the SQLite leg's, its
# wall time about twice), time the SQLite leg uses. Each leg's output comes in one block when
# it ends (live in .test-results/<leg>.log); the log ends with both results and how long
# each step took (.test-results/timeline.txt).
STATIC_CHECKS := typecheck lint-code lint-imports lint-migrations docs
TEST_LEGS_JOBS ?= 2
# $(call timed,label,command): the command, then its wall time noted in the timeline.
timed = start=$$(date +%s); $(2) || exit $$?; \
	printf '%6s s  %s\n' "$$(( $$(date +%s) - start ))" "$(1)" >> $(RESULTS)/timeline.txt

test: setup browser ## Everything CI runs: lint, types, API fuzzing, reduced load test, small benchmark, tests on both databases
	@mkdir -p $(RESULTS) && : > $(RESULTS)/timeline.txt
	@$(call timed,static checks,$(MAKE) --no-print-directory -j 2 --output-sync=target $(STATIC_CHECKS))
	@$(call timed,test-api-fuzz and bench-small (-j 2),$(MAKE) --no-print-directory -j 2 --output-sync=target test-api-fuzz bench-small)
	@$(call timed,loadtest-ci,$(MAKE) --no-print-directory loadtest-ci)
	@$(call timed,test-sqlite and test-postgres (-j $(TEST_LEGS_JOBS)),$(MAKE) --no-print-directory -j $(TEST_LEGS_JOBS) --output-sync=target test-sqlite test-postgres)
	@$(MAKE) --no-print-directory test-recap

test-recap:
	@echo "make test: ruff, mypy, schemathesis, the load test and the benchmark passed; pytest:"
	@for leg in sqlite postgres; do printf '  %-10s %s\n' "$$leg" "$$(grep -E '^=+ .* in [0-9.]+s' $(RESULTS)/$$leg.log | tail -n 1)"; done
	@if [ -s $(RESULTS)/timeline.txt ]; then echo "wall time of each step:"; cat $(RESULTS)/timeline.txt; fi

# The benchmark (bench/): SQLite and PostgreSQL, one subprocess each; JSON in bench/results/.
BENCH_SCALE ?= medium
BENCH_ARGS ?=

bench: setup browser ## Benchmark on both databases (BENCH_SCALE=small|medium|large|xlarge; prints the tables), then the throughput benchmark
	PG_DURABLE=1 scripts/with-postgres $(PY) -m bench.run --scale $(BENCH_SCALE) --db both $(BENCH_ARGS)
	$(PY) -m bench.throughput --check

# Issue 18's throughput benchmark (bench/throughput.py): headless Chromium against gunicorn on
# a fresh SQLite database; key presses and pointer actions per claim and per adjudicated unit,
# the browser-side time of each action. Fails when a key-count target is missed (the times
# are reported against their target, 100 ms, but depend on the machine's load).
bench-throughput: setup browser ## Key presses per claim and per review unit, time per action in the browser (Chromium)
	$(PY) -m bench.throughput --check

bench-small: setup ## The benchmark at small scale on both databases (figures only, no pass/fail)
	scripts/with-postgres $(PY) -m bench.run --scale small --db both --side-by-side $(BENCH_ARGS)

# Claimdesk beside Label Studio and doccano (bench/peers/): the same seeded workload through
# each tool's REST API, fresh databases, one table. Not in `make test`: the first run installs
# the peers from PyPI into PEERS_CACHE (outside the repository, ~1.7 GB); 10–20 minutes.
PEERS_CACHE ?= $(HOME)/.cache/claimdesk-peers
PEERS_ARGS ?=

bench-peers: setup ## Claimdesk beside Label Studio and doccano, same workload (installs them; not in make test)
	$(PY) -m bench.peers --cache "$(PEERS_CACHE)" $(PEERS_ARGS)

# PolNeAR (github.com/networkdynamics/PolNeAR; not committed): POLNEAR is a folder holding
# data/<split>/text and data/<split>/attributions. A temporary SQLite file, removed after.
POLNEAR ?=
SPLIT ?= dev

eval-suggest: setup ## Score the suggesters on PolNeAR's dev split (POLNEAR=path/to/PolNeAR; LEARNED=1 trains the recommender on train; not part of make test)
	@test -n "$(POLNEAR)" || { echo "Give POLNEAR=path/to/PolNeAR"; exit 2; }
	@db=$$(mktemp --suffix=.sqlite3); trap 'rm -f "$$db" "$$db-wal" "$$db-shm"' EXIT; \
	  SQLITE_PATH=$$db $(MANAGE) migrate --no-input -v 0 && \
	  SQLITE_PATH=$$db $(MANAGE) eval_suggest --polnear "$(POLNEAR)" --split $(SPLIT) $(if $(LEARNED),--learned)

# The production shape on this machine (scripts/serve-prod; docs/operations/deployment.md): PostgreSQL
# (a throwaway cluster unless DATABASE_URL is set), gunicorn with WEB_CONCURRENCY workers
# on 127.0.0.1:$(PORT), TASK_WORKERS task workers. Ctrl-C stops it all.
WEB_CONCURRENCY ?= 2
TASK_WORKERS ?= 1

serve-prod: setup ## Try the production shape: PostgreSQL, gunicorn (WEB_CONCURRENCY=2) and a task worker
	PORT=$(PORT) WEB_CONCURRENCY=$(WEB_CONCURRENCY) TASK_WORKERS=$(TASK_WORKERS) scripts/serve-prod

clean: ## Remove the venv, node modules and the development database
	rm -rf $(VENV) .tools .cache node_modules $(RESULTS) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles media site

# The load test (scripts/loadtest): simulated annotators against gunicorn; every
# acknowledged write is checked in the database afterwards. Figures in bench/RESULTS.md.
.PHONY: loadtest loadtest-ci
loadtest: setup ## Load test: 50 annotators × 60 s on PostgreSQL, SQLite (WAL) smaller, a crash round
	scripts/with-postgres $(PY) scripts/loadtest --db postgres --users 50 --duration 60
	$(PY) scripts/loadtest --db sqlite --users 10 --duration 30
	scripts/with-postgres $(PY) scripts/loadtest --db postgres --users 20 --duration 20 --crash

loadtest-ci: setup ## The load test reduced for CI (< 90 s): 10 annotators × 10 s, SQLite, a crash round
	scripts/with-postgres $(PY) scripts/loadtest --db postgres --users 10 --duration 10 --crash
	$(PY) scripts/loadtest --db sqlite --users 5 --duration 8
