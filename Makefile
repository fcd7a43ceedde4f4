# Quick start: `make run` then `make test`. Everything runs inside .venv (created on first use).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= out
MONTH ?=

.PHONY: run test test-slow test-all lint typecheck bench clean help

help:
	@echo "make run        plan the sample data in data/sample into $(OUT)/ (roster, maps, report)"
	@echo "make test       quick test suite"
	@echo "make test-slow  slower suites (force-size instances, many generated cases, browser)"
	@echo "make lint       ruff + mypy"
	@echo "make bench      benchmarks (see docs/BENCHMARKS.md)"

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rso validate data/sample
	$(BIN)/rso plan data/sample $(if $(MONTH),--month $(MONTH),) --out $(OUT)
	$(BIN)/rso report compliance data/sample --out $(OUT)/compliance

test: $(STAMP)
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

test-all: $(STAMP)
	$(BIN)/python -m pytest -m "slow or not slow"

lint: $(STAMP)
	$(BIN)/ruff check rso_scheduler tests bench cli.py
	$(BIN)/ruff format --check rso_scheduler tests bench cli.py
	$(BIN)/mypy rso_scheduler

bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(ARGS)

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
