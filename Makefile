# Ketaflow — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed

.PHONY: install demo test lint format typecheck lock serve clean-venv coverage-core bench-pk \
	bench-outcomes bench-hl7

install: $(STAMP)

# Re-install whenever the lock file or the project metadata changes.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Links in the demo (patient portal, emails) point at the address the demo is served on.
demo: export KETAFLOW_PUBLIC_URL ?= http://$(HOST):$(PORT)
demo: install
	$(BIN)/ketaflow migrate --no-input
	$(BIN)/ketaflow seed-demo
	$(BIN)/ketaflow demo-banner
	$(BIN)/ketaflow runserver $(HOST):$(PORT)

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

# Regenerate the hash-pinned lock from pyproject.toml (needs uv on PATH or in .venv).
lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

# PK simulator benchmark (100k patients x 401 points vs solve_ivp and PyTCI): docs/benchmarks.md
bench-pk: install
	$(BIN)/python bench/bench_pk.py

# Outcomes dashboard on PostgreSQL with 100k patients, 1M sessions, 3M responses: docs/benchmarks.md
bench-outcomes: install
	$(BIN)/python bench/bench_outcomes.py

# HL7 v2 MLLP listener throughput and ACK latency on PostgreSQL vs a bare python-hl7 echo server
bench-hl7: install
	$(BIN)/python bench/bench_hl7.py

serve: install
	$(BIN)/ketaflow runserver $(HOST):$(PORT)

clean-venv:
	rm -rf $(VENV)
