"""`make run`: the sample's first roster starts the day after the sample's data ends."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DIR

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"
# Columns holding things that already happened (future unavailability and leave are excluded).
HISTORY_COLUMNS = {
    "offenders.csv": ("last_visit_date", "registered_on", "released_on", "address_changed_on"),
    "visits.csv": ("date",),
}


def _make_variable(name: str) -> str:
    m = re.search(rf"^{name} :?= *(\S+)", MAKEFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert m, f"{name} is not set in the Makefile"
    return m.group(1)


def _latest_sample_date() -> date:
    latest = date.min
    for name, columns in HISTORY_COLUMNS.items():
        with (SAMPLE_DIR / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for col in columns:
                    if row.get(col):
                        latest = max(latest, date.fromisoformat(row[col]))
    return latest


@pytest.mark.skipif(not SAMPLE_DIR.is_dir(), reason="data/sample is not present")
def test_make_run_plans_from_the_day_after_the_sample_ends() -> None:
    """SAMPLE_START is the day after the sample's latest logged date; --today is that day."""
    start = date.fromisoformat(_make_variable("SAMPLE_START"))
    end = date.fromisoformat(_make_variable("SAMPLE_END"))
    assert start == _latest_sample_date() + timedelta(days=1)
    assert date.fromisoformat(_make_variable("SAMPLE_TODAY")) == start
    assert (end - start).days + 1 == 28 and start.weekday() == 0  # four weeks from a Monday


def test_make_run_names_the_sample_and_its_dates() -> None:
    """Every `rso` line of `make run` names data/sample and passes --today (no silent default)."""
    recipe = MAKEFILE.read_text(encoding="utf-8").split("\nrun:", 1)[1].split("\n\n", 1)[0]
    commands = [c for c in recipe.replace("\\\n", " ").splitlines() if "rso " in c]
    assert [c.split("rso ", 1)[1].split(" data/sample")[0] for c in commands] == [
        "validate",
        "plan",
        "report compliance",
        "serve",  # the last line says how to open the workbench on the sample (not run)
    ]
    assert commands[-1].lstrip().startswith("@echo")
    assert all("--today $(SAMPLE_TODAY)" in c for c in commands)
    assert "--start $(SAMPLE_START) --end $(SAMPLE_END)" in commands[1]
    # validate summarises the period plan plans: the owed counts on the terminal agree
    period = "$(if $(MONTH),--month $(MONTH),--start $(SAMPLE_START) --end $(SAMPLE_END))"
    assert period in commands[0] and period in commands[1]
    assert "--no-maps" not in commands[1] and "--out $(OUT)/compliance" in commands[2]
