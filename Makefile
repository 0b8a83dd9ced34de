# Ketaflow — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed

.PHONY: uv install install-production demo test lint format typecheck lock serve clean-venv \
	coverage-core bench-pk bench-outcomes bench-hl7 bench-audit-chain bench-startup bench-web bench-scale serve-all

# Two hash-pinned locks from pyproject.toml: requirements.lock is what production runs;
# requirements-dev.lock is the same pins plus the `dev` extra (tests, linters, type checker,
# Playwright, benchmarks' references). `make install` is the development install.
install: $(STAMP)

uv:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check \
		"uv==$(UV_VERSION)"

# Re-install whenever a lock file or the project metadata changes.
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements-dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Production: the runtime set only (no test tools, exactly the lock: `sync` removes anything
# else), then ketaflow from this checkout (editable, so settings keep finding the checkout's
# staticfiles/ and .secret_key; its build backend is fetched for the build only).
# README "Deploying on PostgreSQL" runs this.
install-production: uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	rm -f $(STAMP)

# Links in the demo (patient portal, emails) point at the address the demo is served on.
demo: export KETAFLOW_PUBLIC_URL ?= http://$(HOST):$(PORT)
demo: install
	$(BIN)/ketaflow migrate --no-input
	$(BIN)/ketaflow seed-demo
	$(BIN)/ketaflow demo-banner
	KETAFLOW_HOST=$(HOST) KETAFLOW_PORT=$(PORT) $(BIN)/honcho start -f Procfile.demo

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

coverage-core: install
	$(BIN)/pytest ketaflow/clinical --cov=ketaflow.clinical --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=95

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy --no-incremental ketaflow

# Regenerate both hash-pinned locks from pyproject.toml with the pinned uv. The development
# lock is constrained to the production pins, so tests run what production runs.
lock: uv
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
		-o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		-c requirements.lock -o requirements-dev.lock

# PK simulator benchmark (100k patients x 401 points vs solve_ivp and PyTCI): docs/benchmarks.md
bench-pk: install
	$(BIN)/python bench/bench_pk.py

# Outcomes dashboard on PostgreSQL with 100k patients, 1M sessions, 3M responses: docs/benchmarks.md
bench-outcomes: install
	$(BIN)/python bench/bench_outcomes.py

# HL7 v2 MLLP listener throughput and ACK latency on PostgreSQL vs a bare python-hl7 echo server
bench-hl7: install
	$(BIN)/python bench/bench_hl7.py

# What the audit log's hash chain costs a write, PostgreSQL (and --sqlite): docs/benchmarks.md
bench-audit-chain: install
	$(BIN)/python bench/bench_audit_chain.py

# Start-up time of the one-shot commands (score, dose) against a bare Django command
bench-startup: install
	$(BIN)/python bench/bench_startup.py

# Chair board, patient list, session page and patient search as a nurse, 50 connections, gunicorn
# 2 workers, SQLite and PostgreSQL, beside a bare Django one-query view: docs/benchmarks.md
bench-web: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/bench_web.py

# Many: one clinic on 2 gunicorn, 2 RQ workers, 2 HL7 listeners and 2 schedulers over one
# PostgreSQL and Redis (db 11, emptied): each HL7 message stored once, a killed export finished
# once, each reminder sent once, no state in the web tier (#14): docs/benchmarks.md
bench-scale: install
	$(BIN)/python bench/bench_scale.py

# Everything on one box (web under gunicorn, task worker, scheduler, the demo clinic's HL7
# listener) from the Procfile, with honcho; on the demo's SQLite unless DATABASE_URL is set.
serve-all: export KETAFLOW_PUBLIC_URL ?= http://$(HOST):$(PORT)
serve-all: install
	$(BIN)/ketaflow migrate --no-input
	$(BIN)/ketaflow seed-demo
	$(BIN)/ketaflow collectstatic --no-input -v0
	KETAFLOW_HOST=$(HOST) KETAFLOW_PORT=$(PORT) $(BIN)/honcho start -f Procfile

serve: install
	$(BIN)/ketaflow runserver $(HOST):$(PORT)

clean-venv:
	rm -rf $(VENV)
