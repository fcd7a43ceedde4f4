"""Scenario comparison outputs: differences from the baseline, months everywhere, charts with data only."""

from __future__ import annotations

import html
import re
from datetime import date

from rso_scheduler.scenario_report import (
    CAPACITY_HEADER,
    CAPACITY_MONTHS_HEADER,
    COMPARISON_HEADER,
    MONTH_FIGURES,
    baseline_rows,
    capacity_html,
    comparison_html,
    comparison_rows,
    month_table,
    signed,
    stacked_bars_svg,
    terminal_comparison,
)
from rso_scheduler.scenarios import (
    CapacityMonth,
    CapacityPoint,
    CapacityResult,
    MonthMetrics,
    ScenarioResult,
)


def _month(start: date, late: int, missed: int) -> MonthMetrics:
    m = MonthMetrics(start, start.replace(day=28), officers=10, people=300)
    m.visits_due, m.on_time, m.late, m.missed = 50, 50 - late - missed, late, missed
    m.planned = m.on_time + m.late
    m.late_days, m.busy_minutes, m.available_minutes = 3 * late, 100, 1000
    m.by_risk = {"high": {"due": 50, "late": late, "missed": missed, "on_time": 0, "late_days": 0}}
    return m


def _result(name: str, lates: list[int], missed: list[int], officers: int = 10) -> ScenarioResult:
    months = [
        _month(date(2027, k + 1, 1), late, miss)
        for k, (late, miss) in enumerate(zip(lates, missed, strict=True))
    ]
    return ScenarioResult(name, f"{name}.toml", "greedy", 7, 5.0, officers, 300, months)


def test_every_figure_has_its_difference_from_the_first_scenario():
    """baseline_rows holds, for every figure column, the difference from the first scenario."""
    results = [_result("base", [2, 3], [0, 0]), _result("short", [5, 4], [1, 2], officers=8)]
    rows, diffs = comparison_rows(results), baseline_rows(results)
    assert diffs[0][4:] == [0] * (len(COMPARISON_HEADER) - 5) + [0.0]
    col = {name: i for i, name in enumerate(COMPARISON_HEADER)}
    assert diffs[1][col["officers"]] == -2
    assert diffs[1][col["late"]] == 4 and diffs[1][col["missed"]] == 3
    assert diffs[1][col["late_days"]] == rows[1][col["late_days"]] - rows[0][col["late_days"]]
    assert diffs[1][:4] == rows[1][:4]  # names stay names
    assert signed(0.028) == "+2.8 pts" and signed(-3) == "-3" and signed(0) == "0"


def test_terminal_comparison_has_months_and_baseline_lines():
    """The terminal shows a 'vs baseline' line per scenario and every month of each scenario."""
    text = terminal_comparison([_result("base", [2, 3], [0, 0]), _result("short", [5, 4], [1, 2])])
    assert "By month (baseline: base):" in text
    lines = text.splitlines()
    assert sum(1 for line in lines if line.startswith("  vs baseline")) == 1 + 2
    assert any(line.startswith("short") and "2027-02" in line for line in lines)
    assert "Months planned: base: 2027-01 to 2027-02; short: 2027-01 to 2027-02." in text


def test_comparison_page_draws_only_charts_with_data():
    """No missed visits anywhere: the missed charts are not drawn and the page says so."""
    page = comparison_html([_result("base", [2, 3], [0, 0]), _result("more", [4, 3], [0, 0])])
    assert "Missed visits" not in page and "Late visits over the horizon" in page
    assert "Not drawn: no missed visits in any scenario." in page
    # all scenarios' late visits, their late days inherited and added, each scenario's late visits
    assert page.count("<svg") == 1 + 1 + 2
    assert "Late days over the horizon: inherited" in page
    assert "+2" in page and 'class="diff dp"' in page  # more late visits than the baseline: red
    assert "2027-01 to 2027-02 &middot; baseline" in page


def test_shipped_scenarios_parse_and_name_a_data_folder_that_is_there():
    """Every scenario under scenarios/ (the stretched team too) loads, with its data folder present."""
    from pathlib import Path

    from rso_scheduler.scenarios import load_scenario

    files = sorted((Path(__file__).resolve().parent.parent / "scenarios").rglob("*.toml"))
    assert len(files) >= 8
    names = [load_scenario(f).name for f in files]
    assert len(set(names)) == len(names)
    for f in files:
        assert load_scenario(f).data.is_dir(), f


def test_month_labels_of_a_long_horizon_stay_readable():
    """Nine months under one chart are labelled `Dec 26`, `Jan 27`..., not `2026-…` nine times."""
    import re

    months = ["2026-12", *(f"2027-{m:02d}" for m in range(1, 9))]
    svg = stacked_bars_svg("Late visits by month", months, {"high": [1] * 9}, {"high": "#d00"})
    labels = re.findall(r'text-anchor="middle">([^<]*)<title>', svg)
    assert labels == [
        "Dec 26",
        "Jan 27",
        "Feb 27",
        "Mar 27",
        "Apr 27",
        "May 27",
        "Jun 27",
        "Jul 27",
        "Aug 27",
    ]
    few = stacked_bars_svg("Late visits by month", months[:3], {"high": [1] * 3}, {"high": "#d00"})
    assert re.findall(r'text-anchor="middle">([^<]*)<title>', few) == months[:3]


def test_a_longer_horizon_is_not_differenced_against_the_baseline_totals():
    """Nine months against a baseline's three: no totals difference, months matched by calendar."""
    base = _result("base", [2, 3, 1], [0, 0, 0])
    long = _result("leave peak", [2, 3, 1, 9], [0, 0, 0, 4])
    later = ScenarioResult(
        "from February", "f.toml", "greedy", 7, 5.0, 10, 300, [_month(date(2027, 2, 1), 7, 0)]
    )
    results = [base, long, later]
    diffs = baseline_rows(results)
    assert diffs[1][4:] == [""] * (len(COMPARISON_HEADER) - 4)
    assert diffs[1][:4] == comparison_rows(results)[1][:4]
    text = terminal_comparison(results)
    assert "leave peak vs baseline: not compared: covers 2027-01 to 2027-04, the baseline" in text
    # February of the later scenario against the baseline's February (late 3), not its January
    rows = {(name, month): diffs for name, month, _vals, diffs in month_table(results)}
    assert rows[("from February", "2027-02")][MONTH_FIGURES.index("late")] == 7 - 3
    assert rows[("leave peak", "2027-04")] is None  # the baseline has no April
    page = comparison_html(results)
    assert "totals not compared: other months than the baseline<" in page


def _capacity() -> CapacityResult:
    """Two officer counts over one month: enough rows for both capacity tables."""
    month = CapacityMonth("2027-01", 100, 4, 9, 1, 0, 2, 0.31)
    points = [
        CapacityPoint(n, 100, 1, 0, 8, 4, 9, late, 0.31, late <= 3, (month,), 1)
        for n, late in ((9, 5), (10, 2))
    ]
    return CapacityResult("s", 10, 10, points, 1, 40, allowed_late_days=3, months=1)


def test_capacity_tables_have_plain_english_headers():
    """Every capacity table header is words a supervisor reads, not a field name like late_days."""
    page = capacity_html(_capacity())
    headers = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", page)]
    assert len(headers) == len(CAPACITY_HEADER) + len(CAPACITY_MONTHS_HEADER)
    fields = set(CAPACITY_HEADER) | set(CAPACITY_MONTHS_HEADER)
    for h in headers:
        assert "_" not in h and h not in fields, h
        assert not re.fullmatch(r"[a-z][a-z0-9_]*", h), h  # an identifier, not a heading
    assert "Officer time used (%)" in headers and "Avoidable days late" in headers
