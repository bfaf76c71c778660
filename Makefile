# quizapp: `make run` serves the demo, `make test` runs the suite. Both work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: run test lint format install migrate demo clean fuzz-api

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py setup_roles
	$(BIN)/python manage.py load_bank fixtures/baclofen/bank.json
	$(BIN)/python manage.py seed_demo

# The server and, beside it, one background-task worker (django-tasks' database backend:
# `manage.py db_worker`); Ctrl-C stops both. TASKS_BACKEND=immediate make run runs each task
# inside the request that enqueues it instead, with no worker.
run: demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ with a task worker (Ctrl-C stops both)"
	@if [ "$${TASKS_BACKEND:-database}" = "database" ]; then \
		$(BIN)/python manage.py db_worker --no-reload --interval 2 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	else \
		$(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	fi

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r cards quizapp -x cards/migrations
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Property-based fuzzing of the API against its own served OpenAPI schema (loopback only).
fuzz-api: install
	bash tests/fuzz/schemathesis.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles

# Browser end-to-end journeys (tests/e2e): Playwright driving Debian's chromium against
# pytest-django's live server. Not part of `make test`; screenshots go to docs/screenshots/.
CHROMIUM := /usr/bin/chromium
.PHONY: e2e
e2e: install
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "make e2e: $(CHROMIUM) is missing. Install Debian's chromium: apt-get install -y chromium" >&2; \
		exit 1; \
	fi
	QUIZAPP_E2E=1 $(BIN)/python -m pytest tests/e2e

# Benchmarks (tests/bench/run.py, docs/benchmarks.md): its own seeded database, gunicorn on
# 127.0.0.1 and wrk (apt-get install -y wrk). SQLite by default; DATABASE_URL=postgres://...
# for PostgreSQL; BENCH_QUICK=1 for a short run. Not part of `make test`.
.PHONY: bench
bench: install
	$(BIN)/python -m tests.bench.run
