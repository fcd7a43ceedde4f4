# Quick start: `make run` then `make test`. Everything runs inside .venv (created on first use).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= out
MONTH ?=
# The first roster of the sample: data/sample holds everything up to Sunday 2026-11-22 (its
# latest date, a release; the last visit in its log is Friday 2026-11-20), so the plan is made on
# Monday 2026-11-23 (--today) for the four weeks from that day. `make run MONTH=2027-01` plans a
# calendar month instead. tests/test_makefile.py checks these dates against data/sample.
SAMPLE_TODAY := 2026-11-23
SAMPLE_START := 2026-11-23
SAMPLE_END := 2026-12-20

.PHONY: run test test-slow test-faults test-all lint typecheck bench clean help

help:
	@echo "make run        plan the sample data in data/sample into $(OUT)/ (roster, maps, report):"
	@echo "                the four weeks from $(SAMPLE_START), the day after the sample's data ends"
	@echo "make test       quick test suite"
	@echo "make test-slow  slower suites (force-size instances, many generated cases, browser)"
	@echo "make test-faults the fault-and-race suite (signals, locks, full disk; every CI pass)"
	@echo "make lint       ruff + mypy"
	@echo "make bench      benchmarks (see docs/BENCHMARKS.md)"

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rso validate data/sample --today $(SAMPLE_TODAY) \
		$(if $(MONTH),--month $(MONTH),--start $(SAMPLE_START) --end $(SAMPLE_END))
	$(BIN)/rso plan data/sample --today $(SAMPLE_TODAY) \
		$(if $(MONTH),--month $(MONTH),--start $(SAMPLE_START) --end $(SAMPLE_END)) --out $(OUT)
	$(BIN)/rso report compliance data/sample --today $(SAMPLE_TODAY) --out $(OUT)/compliance
	@echo "Workbench (the month in a browser): $(BIN)/rso serve data/sample --today $(SAMPLE_TODAY), then open the address it prints"

test: $(STAMP)
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow $(SLOW_ARGS)

test-faults: $(STAMP)
	$(BIN)/python -m pytest -m slow tests/test_faults_slow.py

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
