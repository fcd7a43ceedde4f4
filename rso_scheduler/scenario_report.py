"""Scenario outputs: comparison and month tables, capacity curve, and self-contained HTML charts.

The HTML pages are static: inline SVG drawn here, no scripts, nothing loaded from anywhere
(a Content-Security-Policy meta tag forbids it), every piece of text escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rso_scheduler.outputs.files import write_csv, write_private
from rso_scheduler.scenarios import (
    RISK_FIELDS,
    RISKS,
    CapacityResult,
    ScenarioResult,
)

COMPARISON_HEADER = (
    "scenario",
    "file",
    "planner",
    "months",
    "officers",
    "people",
    "visits_due",
    "planned",
    "on_time",
    "late",
    "missed",
    "risk_weighted_missed",
    "late_days",
    "risk_weighted_late_days",
    "late_days_inherited",
    "late_days_added",
    "risk_weighted_late_days_inherited",
    "risk_weighted_late_days_added",
    "avoidable_late_days",
    "pulled_forward",
    "travel_minutes",
    "utilisation",
)

MONTH_TOTALS = (
    "visits_due",
    "planned",
    "on_time",
    "late",
    "missed",
    "missed_unavoidable",
    "risk_weighted_missed",
    "late_days",
    "risk_weighted_late_days",
    "late_days_inherited",
    "late_days_added",
    "risk_weighted_late_days_inherited",
    "risk_weighted_late_days_added",
    "avoidable_late_days",
    "pulled_forward",
    "travel_minutes",
)
MONTHS_HEADER = (
    ("scenario", "month", "plan_start", "plan_end", "officers", "people")
    + MONTH_TOTALS
    + ("utilisation",)
    + tuple(f"{f}_{r}" for r in RISKS for f in RISK_FIELDS)
)

CAPACITY_HEADER = (
    "officers",
    "visits_due",
    "missed",
    "avoidable_missed",
    "risk_weighted_missed",
    "late",
    "late_days",
    "late_days_inherited",
    "late_days_added",
    "avoidable_late_days",
    "utilisation",
    "enough",
    "verdict",
    "months_planned",
)
CAPACITY_MONTHS_HEADER = (
    "officers",
    "month",
    "visits_due",
    "late",
    "late_days",
    "late_days_inherited",
    "late_days_added",
    "missed",
    "avoidable_missed",
    "avoidable_late_days",
    "utilisation",
)

# Column headings of the capacity page's tables, in words with units. capacity.csv and
# capacity_months.csv keep the field names above (README documents them; scripts read them).
CAPACITY_LABELS = {
    "officers": "Officers",
    "month": "Month",
    "visits_due": "Visits due",
    "missed": "Missed visits",
    "avoidable_missed": "Avoidable missed visits",
    "risk_weighted_missed": "Missed visits, weighted by risk",
    "late": "Late visits",
    "late_days": "Days late (all visits)",
    "late_days_inherited": "Days late inherited (overdue before the start)",
    "late_days_added": "Days late added by the plans",
    "avoidable_late_days": "Avoidable days late",
    "utilisation": "Officer time used (%)",
    "enough": "Enough officers?",
    "verdict": "Verdict",
    "months_planned": "Months planned",
}

LATE_SPLIT_COLOURS = {"inherited": "#868e96", "added": "#d9480f"}
RISK_COLOURS = {"very_high": "#8b0000", "high": "#d9480f", "medium": "#e8a317", "low": "#5c7cfa"}


def comparison_rows(results: Sequence[ScenarioResult]) -> list[list[Any]]:
    """One row per scenario (totals over its months), in COMPARISON_HEADER order."""
    rows = []
    for r in results:
        rows.append(
            [
                r.name,
                r.file,
                r.planner,
                len(r.months),
                r.officers,
                r.people,
                r.total("visits_due"),
                r.total("planned"),
                r.total("on_time"),
                r.total("late"),
                r.total("missed"),
                r.total("risk_weighted_missed"),
                r.total("late_days"),
                r.total("risk_weighted_late_days"),
                r.total("late_days_inherited"),
                r.total("late_days_added"),
                r.total("risk_weighted_late_days_inherited"),
                r.total("risk_weighted_late_days_added"),
                r.total("avoidable_late_days"),
                r.total("pulled_forward"),
                r.total("travel_minutes"),
                round(r.utilisation, 4),
            ]
        )
    return rows


def month_rows(results: Sequence[ScenarioResult]) -> list[list[Any]]:
    """One row per scenario per month, with per-risk columns (`late_high` ...)."""
    rows = []
    for r in results:
        for m in r.months:
            row: list[Any] = [
                r.name,
                f"{m.plan_start:%Y-%m}",
                m.plan_start.isoformat(),
                m.plan_end.isoformat(),
                m.officers,
                m.people,
            ]
            row += [getattr(m, f) for f in MONTH_TOTALS]
            row.append(round(m.utilisation, 4))
            row += [m.by_risk.get(risk, {}).get(f, 0) for risk in RISKS for f in RISK_FIELDS]
            rows.append(row)
    return rows


def capacity_rows(result: CapacityResult) -> list[list[Any]]:
    """One row per officer count tried, in CAPACITY_HEADER order."""
    return [
        [
            p.officers,
            p.visits_due,
            p.missed,
            p.avoidable_missed,
            p.risk_weighted_missed,
            p.late,
            p.late_days,
            p.late_days_inherited,
            p.late_days_added,
            p.avoidable_late_days,
            round(p.utilisation, 4),
            "yes" if p.enough else "no",
            result.verdict(p),
            p.months_planned,
        ]
        for p in result.points
    ]


def capacity_month_rows(
    result: CapacityResult, only: Sequence[int] | None = None
) -> list[list[Any]]:
    """One row per officer count and month planned (all counts, or those in `only`)."""
    return [
        [
            p.officers,
            m.month,
            m.visits_due,
            m.late,
            m.late_days,
            m.late_days_inherited,
            m.late_days_added,
            m.missed,
            m.avoidable_missed,
            m.avoidable_late_days,
            round(m.utilisation, 4),
        ]
        for p in result.points
        if only is None or p.officers in only
        for m in p.months
    ]


def text_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned table for the terminal."""
    cells = [[str(h) for h in header]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for j, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.1%}" if v <= 1.5 else f"{v:.1f}"
    return str(v)


# Columns of comparison.csv that are figures (differences from the baseline make sense).
FIGURE_COLUMNS = COMPARISON_HEADER[4:]
# The per-month figures shown in the month tables (terminal and HTML).
MONTH_FIGURES = (
    "visits_due",
    "on_time",
    "late",
    "missed",
    "late_days",
    "late_days_inherited",
    "late_days_added",
    "avoidable_late_days",
    "backlog_late_days",
    "travel_minutes",
    "utilisation",
)
LABELS = {
    "officers": "officers",
    "people": "people",
    "visits_due": "visits due",
    "planned": "planned",
    "on_time": "on time",
    "late": "late",
    "missed": "missed",
    "risk_weighted_missed": "risk-weighted missed",
    "late_days": "late days",
    "risk_weighted_late_days": "risk-weighted late days",
    "late_days_inherited": "late days inherited",
    "late_days_added": "late days added",
    "risk_weighted_late_days_inherited": "risk-weighted late days inherited",
    "risk_weighted_late_days_added": "risk-weighted late days added",
    "avoidable_late_days": "avoidable late days",
    "backlog_late_days": "backlog late days",
    "pulled_forward": "pulled forward",
    "travel_minutes": "travel minutes",
    "utilisation": "utilisation",
}


def difference(value: Any, baseline: Any) -> Any:
    """`value - baseline` (a float difference of shares stays a float, in share points)."""
    if isinstance(value, float) or isinstance(baseline, float):
        return round(float(value) - float(baseline), 4)
    return int(value) - int(baseline)


def signed(v: Any) -> str:
    """A difference as text: +12, -3, 0; shares in percentage points (+2.8 pts)."""
    if isinstance(v, float):
        pts = 100 * v
        return "0 pts" if abs(pts) < 0.05 else f"{pts:+.1f} pts"
    return f"{v:+d}" if v else "0"


def same_months(result: ScenarioResult, baseline: ScenarioResult) -> bool:
    """Whether two scenarios plan the same months, so that their totals can be compared."""
    return [m.plan_start for m in result.months] == [m.plan_start for m in baseline.months]


def baseline_rows(results: Sequence[ScenarioResult]) -> list[list[Any]]:
    """comparison.csv's rows with every figure as its difference from the first scenario.

    A scenario over other months than the baseline's (a nine-month leave peak against a
    three-month baseline) has blank differences: its totals cover other months, and its
    months are compared one by one in the month tables instead.
    """
    rows = comparison_rows(results)
    if not rows:
        return []
    base = rows[0]
    return [
        row[:4]
        + (
            [difference(v, b) for v, b in zip(row[4:], base[4:], strict=True)]
            if same_months(r, results[0])
            else [""] * len(row[4:])
        )
        for row, r in zip(rows, results, strict=True)
    ]


def not_compared(result: ScenarioResult, baseline: ScenarioResult) -> str:
    """Why a scenario's totals have no difference from the baseline's (its months differ)."""
    return (
        f"not compared: covers {period(result)}, the baseline {period(baseline)}; "
        "see its months below"
    )


def period(result: ScenarioResult) -> str:
    """The months a scenario covers, e.g. "2026-12 to 2027-02"."""
    if not result.months:
        return ""
    a, b = f"{result.months[0].plan_start:%Y-%m}", f"{result.months[-1].plan_start:%Y-%m}"
    return a if a == b else f"{a} to {b}"


def _month_figure(m: Any, name: str) -> Any:
    return round(m.utilisation, 4) if name == "utilisation" else getattr(m, name)


def month_table(
    results: Sequence[ScenarioResult],
) -> list[tuple[str, str, list[Any], list[Any] | None]]:
    """(scenario, month, figures, differences from the baseline's same month or None)."""
    if not results:
        return []
    base = {m.plan_start: m for m in results[0].months}
    out = []
    for i, r in enumerate(results):
        for m in r.months:
            vals = [_month_figure(m, f) for f in MONTH_FIGURES]
            diffs = None
            if i > 0 and m.plan_start in base:  # the baseline's same calendar month
                diffs = [
                    difference(v, _month_figure(base[m.plan_start], f))
                    for v, f in zip(vals, MONTH_FIGURES, strict=True)
                ]
            out.append((r.name, f"{m.plan_start:%Y-%m}", vals, diffs))
    return out


TERMINAL_COLUMNS = (
    "scenario",
    "officers",
    "people",
    "visits_due",
    "on_time",
    "late",
    "missed",
    "risk_weighted_missed",
    "late_days",
    "late_days_inherited",
    "late_days_added",
    "avoidable_late_days",
    "utilisation",
)


def _short(name: str) -> str:
    return (
        name.replace("risk_weighted_", "rw_")
        .replace("avoidable_", "avoid_")
        .replace("backlog_", "backlog_")
        .replace("travel_minutes", "travel_min")
    )


def terminal_comparison(results: Sequence[ScenarioResult]) -> str:
    """The comparison for the terminal: totals with a 'vs baseline' line under each scenario
    after the first, then the same month by month."""
    if not results:
        return "no scenarios"
    idx = [COMPARISON_HEADER.index(c) for c in TERMINAL_COLUMNS]
    rows: list[list[Any]] = []
    notes: list[str] = []
    for i, (row, diff) in enumerate(
        zip(comparison_rows(results), baseline_rows(results), strict=True)
    ):
        rows.append([row[j] for j in idx])
        if i > 0 and same_months(results[i], results[0]):
            rows.append(["  vs baseline"] + [signed(diff[j]) for j in idx[1:]])
        elif i > 0:
            notes.append(f"{results[i].name} vs baseline: {not_compared(results[i], results[0])}.")
    header = [_short(c) for c in TERMINAL_COLUMNS]
    month_rows_: list[list[Any]] = []
    for name, month, vals, diffs in month_table(results):
        month_rows_.append([name, month, *vals])
        if diffs is not None:
            month_rows_.append(["  vs baseline", month, *(signed(d) for d in diffs)])
    periods = "; ".join(f"{r.name}: {period(r)}" for r in results)
    return (
        f"{text_table(header, rows)}\n"
        + "".join(f"{n}\n" for n in notes)
        + f"\nBy month (baseline: {results[0].name}):\n"
        f"{text_table(['scenario', 'month', *(_short(f) for f in MONTH_FIGURES)], month_rows_)}\n\n"
        f"Months planned: {periods}."
    )


TERMINAL_CAPACITY = (
    "officers",
    "visits_due",
    "missed",
    "avoidable_missed",
    "late",
    "late_days",
    "late_days_inherited",
    "late_days_added",
    "avoidable_late_days",
    "utilisation",
    "verdict",
    "months_planned",
)


def deciding_counts(result: CapacityResult) -> list[int]:
    """The counts whose months decide the answer: the answer and the count just below it."""
    if result.answer is None:
        return [result.points[-1].officers] if result.points else []
    return [n for n in (result.answer - 1, result.answer) if result.point(n) is not None]


def terminal_capacity(result: CapacityResult) -> str:
    """The capacity curve, the deciding months and the answer, for the terminal."""
    idx = [CAPACITY_HEADER.index(c) for c in TERMINAL_CAPACITY]
    rows = [[row[i] for i in idx] for row in capacity_rows(result)]
    header = [c.replace("avoidable_", "avoid_") for c in TERMINAL_CAPACITY]
    months = text_table(
        [c.replace("avoidable_", "avoid_") for c in CAPACITY_MONTHS_HEADER],
        capacity_month_rows(result, deciding_counts(result)),
    )
    return (
        f"{text_table(header, rows)}\n\nMonth by month, the counts that decide:\n{months}\n\n"
        + "\n".join(capacity_findings(result))
    )


def _listed(pairs: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{k} ({v})" for k, v in pairs)


def capacity_target(result: CapacityResult) -> str:
    """The stated test a count must pass, in words."""
    if result.allowed_late_days == 0:
        return "nothing avoidable missed or late"
    return (
        f"nothing avoidable missed and at most {result.allowed_late_days} avoidable late "
        f"day{'s' if result.allowed_late_days != 1 else ''}"
    )


def capacity_verdict(result: CapacityResult) -> str:
    """One sentence: the answer, or that it was not reached."""
    target = capacity_target(result)
    if result.answer is None:
        return (
            f"No officer count from {result.min_officers} to {result.max_officers} leaves "
            f"{target}; raise --max."
        )
    return (
        f"Fewest officers with {target}: {result.answer} "
        f"(the scenario has {result.baseline_officers})."
    )


def capacity_findings(result: CapacityResult) -> list[str]:
    """The answer, the tolerance, each deciding month, any planner failures and what binds."""
    lines = [capacity_verdict(result)]
    span = f"over the {result.months} month{'s' if result.months != 1 else ''}"
    how = f" ({result.tolerance_from})" if result.tolerance_from not in ("", "given") else ""
    lines.append(
        f"Tolerance: avoidable late days <= {result.allowed_late_days} {span}{how}; "
        "no avoidable miss. A visit's avoidable lateness is the days after the first day it "
        "was possible."
    )
    for n in deciding_counts(result):
        p = result.point(n)
        assert p is not None
        worst = max(
            p.months, key=lambda m: (m.avoidable_missed, m.avoidable_late_days), default=None
        )
        by_month = "; ".join(
            f"{m.month}: {m.avoidable_late_days} avoidable late days, "
            f"{m.avoidable_missed} avoidable missed, {m.late_days} late days in all "
            f"({m.late_days_inherited} inherited + {m.late_days_added} added)"
            for m in p.months
        )
        tail = ""
        if not p.enough and worst is not None:
            tail = f" - fails in {worst.month}"
            if p.months_planned < result.months:
                tail += " (later months not planned)"
        lines.append(f"{n} officers: {by_month}{tail}.")
    bad = result.planner_failures
    if bad:
        names = ", ".join(str(n) for n in bad)
        lines.append(
            f"{names} officers fail although {result.answer} are enough: that is the planner, "
            "not the staffing (a heuristic; other officers form other crews), so the answer "
            "stands."
        )
    ref = result.point(result.answer) if result.answer is not None else None
    top = result.points[-1] if result.points else None
    if top is not None and (result.flat or result.answer is None):
        lines.append(
            f"More officers stop helping: with {top.officers} (the most tried) "
            f"{top.avoidable_late_days} avoidable late days and {top.avoidable_missed} "
            f"avoidable misses remain. What binds is what those visits need (visits): "
            f"{_listed(top.needs) or 'nothing recorded'}; areas: {_listed(top.areas) or '-'}."
            + (f" Reasons for misses: {_listed(top.missed_reasons)}." if top.missed_reasons else "")
        )
    elif ref is not None and (ref.avoidable_late_days or ref.avoidable_missed):
        lines.append(
            f"Left at {ref.officers} officers: {ref.avoidable_late_days} avoidable late days "
            f"and {ref.avoidable_missed} avoidable misses; what those visits need (visits): "
            f"{_listed(ref.needs)}; areas: {_listed(ref.areas)}."
        )
    cut = sum(p.clock_cut for p in result.points)
    if cut:
        lines.append(
            f"warning: the planner's wall-clock safety net cut {cut} month plan(s) short (a busy "
            "machine or a small --time-limit); those figures may differ between runs."
        )
    return lines


# ------------------------------------------------------------------------------------------
# HTML and SVG

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
_STYLE = """
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1rem 1.5rem;color:#222;max-width:1400px}
h1{font-size:1.5rem;margin:.2rem 0 .6rem}
h2{font-size:1.1rem;margin:1.2rem 0 .4rem;color:#1f3a5f;break-after:avoid}
.marking{font-weight:700;letter-spacing:.1em;font-size:.8rem;color:#fff;background:#1f3a5f;text-align:center;padding:2px 0}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem;width:100%}
th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
th{background:#f2f2f2;font-weight:600}
thead th{vertical-align:bottom}
table.summary th.sc{white-space:normal;min-width:7rem}
table.summary tbody th{white-space:nowrap}
table.months td.name{font-weight:600;max-width:14rem}
table.months tr.first td{border-top:2px solid #888}
.sub{display:block;font-weight:400;font-size:.75rem;color:#555}
.diff{display:block;font-size:.72rem;color:#555}
.diff.dp{color:#a61e1e}.diff.dn{color:#2b6a2b}
.charts{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0;break-inside:avoid}
figure svg{max-width:100%;height:auto}
figcaption{font-size:.85rem;font-weight:600;color:#333;margin-left:44px}
.wide{overflow-x:auto}
.note{font-size:.82rem;color:#555;max-width:70rem}
ul{font-size:.9rem}
svg text{font-family:inherit}
@page{size:A4 landscape;margin:10mm 10mm 12mm 10mm;
  @bottom-right{content:"page " counter(page) " of " counter(pages);font:8pt Arial,sans-serif;color:#555}
  @bottom-left{content:"OFFICIAL-SENSITIVE";font:bold 8pt Arial,sans-serif}}
@media print{
  body{margin:0;max-width:none;font-size:9pt}
  table{font-size:7.5pt}
  th,td{padding:1px 3px}
  .diff{font-size:6.5pt}
  .wide{overflow:visible}
  table.months tr{break-inside:avoid}
  h2.charts-head{break-before:page}
}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        '<div class="marking">OFFICIAL-SENSITIVE</div>\n'
        f'<h1>{_e(title)}</h1>\n{body}\n<p class="note">OFFICIAL-SENSITIVE when it describes a real '
        "caseload. Generated by rso-scheduler; this page loads nothing from anywhere.</p>\n"
        "</body>\n</html>\n"
    )


def _html_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(_fmt(v))}</td>" for v in row) + "</tr>\n" for row in rows
    )
    return (
        f'<div class="wide"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n'
        "</table></div>"
    )


def _ticks(v: float) -> tuple[float, float]:
    """Axis maximum and tick step for data up to `v`: at most five round steps (1, 2, 5 x 10^k)."""
    if v <= 0:
        return 1.0, 1.0
    mag = 1.0
    while mag * 10 <= v:
        mag *= 10
    while mag > v:
        mag /= 10
    for m in (0.2, 0.5, 1, 2, 5, 10):
        step = m * mag
        if step >= 1 or mag < 1:  # counts: whole-number steps
            n = -(-v // step)
            if n <= 5:
                return n * step, step
    return 10 * mag, 2 * mag


def _grid(ymax: float, step: float) -> list[float]:
    n = round(ymax / step)
    return [step * k for k in range(n + 1)]


def stacked_bars_svg(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    colours: dict[str, str],
    width: int = 420,
    height: int = 240,
) -> str:
    """A stacked bar chart (one bar per category, one stack layer per series) as inline SVG."""
    left, right, top, bottom = 44, 10, 28, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(series[s][i] for s in series) for i in range(len(categories))]
    ymax, step = _ticks(max(totals, default=0))
    n = max(1, len(categories))
    slot = plot_w / n
    bar_w = max(4.0, slot * 0.6)
    parts = [
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{_e(title)}</title>",
        f'<text x="{left}" y="16" font-size="13" font-weight="600">{_e(title)}</text>',
    ]
    for v in _grid(ymax, step):
        y = top + plot_h - plot_h * v / ymax
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e5e5e5"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{_e(_axis(v))}</text>'
        )
    for i, cat in enumerate(categories):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for name, values in series.items():
            v = values[i]
            if v <= 0:
                continue
            h = plot_h * v / ymax
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{_e(colours.get(name, "#888"))}"><title>{_e(cat)} {_e(name)}: {_e(_axis(v))}</title></rect>'
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" font-size="10" '
            f'text-anchor="middle">{_e(_bar_label(cat, int(slot // 6)))}<title>{_e(cat)}</title></text>'
        )
    lx = left
    for name in series:
        parts.append(
            f'<rect x="{lx}" y="{height - 16}" width="10" height="10" fill="{_e(colours.get(name, "#888"))}"/>'
        )
        label = name.replace("_", " ")
        parts.append(f'<text x="{lx + 14}" y="{height - 7}" font-size="10">{_e(label)}</text>')
        lx += 24 + 7 * len(label)
    parts.append("</svg>")
    return "\n".join(parts)


def _bar_label(cat: str, max_chars: int) -> str:
    """A bar's label cut to its slot; a month (YYYY-MM) that does not fit is `Mar 27` or `Mar`.

    Cutting `2027-03` would leave `2027-…` under every bar of a long horizon.
    """
    if len(cat) > max(4, max_chars) and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", cat):
        month = _MONTH_ABBR[int(cat[5:]) - 1]
        return f"{month} {cat[2:4]}" if max_chars >= 6 else month
    return _shorten(cat, max_chars)


_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _shorten(text: str, max_chars: int) -> str:
    """Text cut to fit a chart slot (the full text stays in a tooltip)."""
    max_chars = max(4, max_chars)
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "\u2026"


def _axis(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def line_chart_svg(
    title: str,
    xs: Sequence[int],
    series: Mapping[str, Sequence[float]],
    colours: dict[str, str],
    marker_x: int | None = None,
    width: int = 520,
    height: int = 280,
    limit: tuple[str, float] | None = None,
    y_cap: float | None = None,
) -> str:
    """A line chart with points (x: officers) as inline SVG; `marker_x` draws a vertical rule,
    `limit` = (label, y) a dashed horizontal one (a tolerance), inside the y-scale. With
    `y_cap` the scale stops there: higher points sit on the top edge, labelled with their value,
    so that the range that decides (around a tolerance) is not squashed flat."""
    left, right, top, bottom = 50, 14, 28, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max(
        max((max(v, default=0) for v in series.values()), default=0),
        limit[1] * 1.2 if limit else 0,
    )
    ymax, step = _ticks(min(top_value, y_cap) if y_cap is not None else top_value)
    x0, x1 = (min(xs), max(xs)) if xs else (0, 1)
    span = max(1, x1 - x0)

    def px(x: float) -> float:
        return left + plot_w * (x - x0) / span

    def py(y: float) -> float:
        return top + plot_h - plot_h * min(y, ymax) / ymax

    parts = [
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{_e(title)}</title>",
        f'<text x="{left}" y="16" font-size="13" font-weight="600">{_e(title)}</text>',
    ]
    for v in _grid(ymax, step):
        parts.append(
            f'<line x1="{left}" y1="{py(v):.1f}" x2="{width - right}" y2="{py(v):.1f}" stroke="#e5e5e5"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{py(v) + 4:.1f}" font-size="10" text-anchor="end">{_e(_axis(v))}</text>'
        )
    for x in xs:
        parts.append(
            f'<text x="{px(x):.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle">{_e(x)}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 30}" font-size="11" '
        'text-anchor="middle">officers</text>'
    )
    if marker_x is not None:
        parts.append(
            f'<line x1="{px(marker_x):.1f}" y1="{top}" x2="{px(marker_x):.1f}" y2="{top + plot_h}" '
            'stroke="#2b8a3e" stroke-dasharray="4 3"/>'
        )
    if limit is not None:
        label, y = limit
        parts.append(
            f'<line x1="{left}" y1="{py(y):.1f}" x2="{width - right}" y2="{py(y):.1f}" '
            'stroke="#c92a2a" stroke-width="1.5" stroke-dasharray="6 3"/>'
        )
        parts.append(
            f'<text x="{width - right - 2}" y="{py(y) - 4:.1f}" font-size="10" fill="#c92a2a" '
            f'text-anchor="end">{_e(label)}</text>'
        )
    for name, values in series.items():
        colour = _e(colours.get(name, "#888"))
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, values, strict=True))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in zip(xs, values, strict=True):
            parts.append(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}">'
                f"<title>{_e(x)} officers: {_e(name.replace('_', ' '))} {_e(_axis(y))}</title></circle>"
            )
            if y > ymax:  # off the scale: say how far
                parts.append(
                    f'<text x="{px(x) + 4:.1f}" y="{top - 3}" font-size="9" fill="{colour}">'
                    f"\u2191{_e(_axis(y))}</text>"
                )
    lx = left
    for name in series:
        label = name.replace("_", " ")
        parts.append(
            f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{_e(colours.get(name, "#888"))}"/>'
        )
        parts.append(f'<text x="{lx + 14}" y="{height - 5}" font-size="10">{_e(label)}</text>')
        lx += 24 + 7 * len(label)
    parts.append("</svg>")
    return "\n".join(parts)


DEFINITIONS = (
    "Each scenario is planned month by month; a month's planned visits are treated as made "
    "before the next month is planned, so missed visits stay owed and appear again, overdue. "
    "Late: made after the due date. Missed: owed in the month and not planned. Risk-weighted "
    "figures multiply by the policy weight of the person's risk level. Utilisation: officer "
    "minutes of visits and travel over shift minutes on duty days."
)


# Figures where more is worse (a rise shows red), and where more is better (a rise shows green);
# the others (officers, people, travel, utilisation) are shown without a colour.
WORSE_UP = frozenset(
    {
        "late",
        "missed",
        "risk_weighted_missed",
        "late_days",
        "risk_weighted_late_days",
        "late_days_inherited",
        "late_days_added",
        "risk_weighted_late_days_inherited",
        "risk_weighted_late_days_added",
        "avoidable_late_days",
        "backlog_late_days",
    }
)
BETTER_UP = frozenset({"on_time", "planned"})


def _diff_cell(value: Any, diff: Any | None, figure: str = "") -> str:
    """A table cell: the value, and under it its difference from the baseline."""
    cell = _e(_fmt(value))
    if diff is not None:
        sign = (1 if figure in WORSE_UP else -1 if figure in BETTER_UP else 0) * (
            (diff > 0) - (diff < 0)
        )
        cls = "d0" if sign == 0 else "dp" if sign > 0 else "dn"
        cell += f'<span class="diff {cls}">{_e(signed(diff))}</span>'
    return f"<td>{cell}</td>"


def summary_table_html(results: Sequence[ScenarioResult]) -> str:
    """Figures down, scenarios across; every scenario after the first shows its difference."""
    rows = comparison_rows(results)
    diffs = baseline_rows(results)
    compared = [i > 0 and same_months(r, results[0]) for i, r in enumerate(results)]
    head = "<th>figure</th>" + "".join(
        f'<th class="sc">{_e(r.name)}<span class="sub">{_e(period(r))}'
        f"{' &middot; baseline' if i == 0 else ''}</span>"
        + (
            ""
            if i == 0 or compared[i]
            else '<span class="sub">totals not compared: other months than the baseline</span>'
        )
        + "</th>"
        for i, r in enumerate(results)
    )
    body = []
    for j, name in enumerate(FIGURE_COLUMNS, start=4):
        cells = "".join(
            _diff_cell(row[j], diff[j] if compared[i] else None, name)
            for i, (row, diff) in enumerate(zip(rows, diffs, strict=True))
        )
        body.append(f"<tr><th>{_e(LABELS.get(name, name))}</th>{cells}</tr>")
    return (
        f'<table class="summary"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def months_table_html(results: Sequence[ScenarioResult]) -> str:
    """One row per scenario and month; each figure with its difference from the baseline's month."""
    head = "<th>scenario</th><th>month</th>" + "".join(
        f"<th>{_e(LABELS.get(f, f))}</th>" for f in MONTH_FIGURES
    )
    body = []
    last = None
    for name, month, vals, diffs in month_table(results):
        first = name != last
        last = name
        cells = "".join(
            _diff_cell(v, None if diffs is None else diffs[k], MONTH_FIGURES[k])
            for k, v in enumerate(vals)
        )
        label = _e(name) if first else ""
        body.append(
            f'<tr class="{"first" if first else ""}"><td class="name">{label}</td>'
            f"<td>{_e(month)}</td>{cells}</tr>"
        )
    return (
        f'<table class="months"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def comparison_html(results: Sequence[ScenarioResult]) -> str:
    """The comparison page: every figure with its difference from the first (baseline)
    scenario, the same month by month, and charts of late and missed visits (only those
    with something to draw)."""
    body = [
        f'<p class="note">{_e(DEFINITIONS)} Differences are from the first scenario, '
        f"{_e(results[0].name if results else '')} (shares in percentage points).</p>",
        "<h2>Over the whole horizon</h2>",
        summary_table_html(results),
        "<h2>Month by month</h2>",
        months_table_html(results),
    ]
    names = [r.name for r in results]
    charts = []
    empty = []
    for measure in ("late", "missed"):
        series = {risk: [r.risk_total(risk, measure) for r in results] for risk in RISKS}
        if any(v for vals in series.values() for v in vals):
            charts.append(
                "<figure>"
                + stacked_bars_svg(
                    f"{measure.capitalize()} visits over the horizon, by risk level",
                    names,
                    series,
                    RISK_COLOURS,
                    width=max(420, 60 + 170 * len(names)),
                )
                + "</figure>"
            )
        else:
            empty.append(f"no {measure} visits in any scenario")
    split = {
        "inherited": [r.total("late_days_inherited") for r in results],
        "added": [r.total("late_days_added") for r in results],
    }
    if any(v for vals in split.values() for v in vals):
        charts.append(
            "<figure>"
            + stacked_bars_svg(
                "Late days over the horizon: inherited (overdue before it began) and added",
                names,
                split,
                LATE_SPLIT_COLOURS,
                width=max(420, 60 + 170 * len(names)),
            )
            + "</figure>"
        )
    for r in results:
        months = [f"{m.plan_start:%Y-%m}" for m in r.months]
        for measure in ("late", "missed"):
            series = {
                risk: [m.by_risk.get(risk, {}).get(measure, 0) for m in r.months] for risk in RISKS
            }
            if not any(v for vals in series.values() for v in vals):
                continue
            charts.append(
                f"<figure><figcaption>{_e(r.name)}</figcaption>"
                + stacked_bars_svg(
                    f"{measure.capitalize()} visits by month", months, series, RISK_COLOURS
                )
                + "</figure>"
            )
    body.append('<h2 class="charts-head">Charts</h2>')
    if empty:
        body.append(f'<p class="note">Not drawn: {_e("; ".join(empty))}.</p>')
    body.append('<div class="charts">' + "".join(charts) + "</div>")
    body.append(
        '<p class="note">'
        + _e(
            " ".join(
                f"{r.name}: {r.file}, {r.officers} officers, {r.people} people, planner "
                f"{r.planner}, seed {r.seed}."
                for r in results
            )
        )
        + "</p>"
    )
    return _page("What-if scenarios: compliance compared", "\n".join(body))


CAPACITY_NOTE = (
    "Enough: no visit missed that could have been made at all in its month, and avoidable late "
    "days within the tolerance. A visit's avoidable lateness is the days it was made after the "
    "first day it was possible (the person available and enough officers on duty whose shift, "
    "area and skills fit), for visits falling due after the scenario's first day; visits "
    "already overdue when the scenario starts only have to be made. The first possible day "
    "cannot see how crews pair, so a few days remain at any staffing: hence the tolerance. "
    "Officers are scaled in every area in proportion, removing officers or copying an area's "
    "working patterns, with the same seeds for every count. A count that fails is no longer "
    "planned after the month it failed in. Planner: a count above the answer that fails, "
    "which is the planner's doing, not the staffing's."
)


def capacity_html(result: CapacityResult) -> str:
    """The capacity page: the deciding figures against officers (with the tolerance), each
    deciding month, the whole curve, and what binds."""
    xs = [p.officers for p in result.points]
    deciding = line_chart_svg(
        "Deciding figures against officers",
        xs,
        {
            "avoidable_late_days": [p.avoidable_late_days for p in result.points],
            "avoidable_missed": [p.avoidable_missed for p in result.points],
        },
        {"avoidable_late_days": "#1c7ed6", "avoidable_missed": "#c92a2a"},
        marker_x=result.answer,
        limit=(f"tolerance: {result.allowed_late_days} late days", result.allowed_late_days),
        y_cap=max(10, 4 * result.allowed_late_days),
    )
    full = [p for p in result.points if p.months_planned == result.months]
    charts = [deciding]
    if len(full) >= 2:
        charts.append(
            line_chart_svg(
                "All late days against officers (counts planned in full)",
                [p.officers for p in full],
                {
                    "late_days": [p.late_days for p in full],
                    "late_days_inherited": [p.late_days_inherited for p in full],
                    "late_days_added": [p.late_days_added for p in full],
                },
                {
                    "late_days": "#868e96",
                    "late_days_inherited": "#adb5bd",
                    "late_days_added": "#d9480f",
                },
                marker_x=result.answer,
            )
        )
    findings = capacity_findings(result)
    body = [
        f"<p><strong>{_e(findings[0])}</strong></p>",
        "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in findings[1:]) + "</ul>",
        '<div class="charts">' + "".join(f"<figure>{c}</figure>" for c in charts) + "</div>",
        "<h2>Month by month, the counts that decide</h2>",
        _html_table(
            [CAPACITY_LABELS[f] for f in CAPACITY_MONTHS_HEADER],
            capacity_month_rows(result, deciding_counts(result)),
        ),
        "<h2>Every officer count planned</h2>",
        _html_table([CAPACITY_LABELS[f] for f in CAPACITY_HEADER], capacity_rows(result)),
        f'<p class="note">{_e(CAPACITY_NOTE)}</p>',
    ]
    return _page(f"Capacity: {result.scenario}", "\n".join(body))


def write_comparison(stage: Path, results: Sequence[ScenarioResult]) -> list[Path]:
    """comparison.csv, comparison_vs_baseline.csv, months.csv and comparison.html into `stage`
    (a staged output folder)."""
    paths = [
        stage / "comparison.csv",
        stage / "comparison_vs_baseline.csv",
        stage / "months.csv",
        stage / "comparison.html",
    ]
    write_csv(paths[0], COMPARISON_HEADER, comparison_rows(results))
    write_csv(paths[1], COMPARISON_HEADER, baseline_rows(results))
    write_csv(paths[2], MONTHS_HEADER, month_rows(results))
    write_private(paths[3], comparison_html(results))
    return paths


def write_capacity(stage: Path, result: CapacityResult) -> list[Path]:
    """capacity.csv, capacity_months.csv and capacity.html into `stage`."""
    paths = [stage / "capacity.csv", stage / "capacity_months.csv", stage / "capacity.html"]
    write_csv(paths[0], CAPACITY_HEADER, capacity_rows(result))
    write_csv(paths[1], CAPACITY_MONTHS_HEADER, capacity_month_rows(result))
    write_private(paths[2], capacity_html(result))
    return paths
