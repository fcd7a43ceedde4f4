"""compliance.html: a self-contained, print-ready (A4) compliance report.

Every piece of text goes through `html.escape`; the charts are inline SVG drawn here; nothing is
loaded from anywhere (a Content-Security-Policy forbids it). "OFFICIAL-SENSITIVE" is shown at the
top and bottom of the screen and of every printed page: fixed bars, with spacer rows in a
repeating table header/footer so that page content never runs under them. Each printed page
carries "page N of M" in its bottom margin (CSS `@page` margin box with page counters).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from rso_scheduler.models import RISK_ORDER, RiskLevel
from rso_scheduler.report.compliance import (
    AGEING_BANDS,
    BAND_LABELS,
    NONE_KEY,
    ComplianceReport,
    GroupRow,
    PersonState,
    TrendPoint,
    ageing_band,
)
from rso_scheduler.report.tables import Cell

MARKING = "OFFICIAL-SENSITIVE"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
RISK_COLOURS = {
    RiskLevel.very_high: "#8e1b1b",
    RiskLevel.high: "#d4661c",
    RiskLevel.medium: "#d9a521",
    RiskLevel.low: "#4f7fa8",
}

CSS = """
:root { --ink:#1b2733; --muted:#5a6772; --rule:#d5dbe1; --band:#1f3a5f; --soft:#f3f5f8; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; font: 10.5pt/1.4 "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       background: #fff; }
.marking { position: fixed; left: 0; right: 0; z-index: 10; text-align: center; font-weight: 700;
           letter-spacing: .12em; font-size: 9pt; color: #fff; background: var(--band); padding: 3px 0; }
.marking.top { top: 0; } .marking.bottom { bottom: 0; }
table.frame { width: 100%; border-collapse: collapse; }
table.frame > thead > tr > td, table.frame > tfoot > tr > td { padding: 0; }
.space { height: 30px; }
main { max-width: 1100px; margin: 0 auto; padding: 8px 24px; }
header.title { border-bottom: 3px solid var(--band); padding-bottom: 8px; margin-bottom: 14px; }
h1 { font-size: 19pt; margin: 6px 0 2px; }
h2 { font-size: 13pt; margin: 22px 0 6px; color: var(--band); border-bottom: 1px solid var(--rule);
     padding-bottom: 3px; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 14px 0 4px; break-after: avoid; }
.sub { color: var(--muted); margin: 0; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; margin: 10px 0; }
.card { border: 1px solid var(--rule); border-left: 5px solid var(--band); padding: 6px 10px;
        background: var(--soft); break-inside: avoid; }
.card .v { font-size: 17pt; font-weight: 700; }
.card .k { font-size: 8.5pt; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.card.alert { border-left-color: #8e1b1b; }
table.data { width: 100%; border-collapse: collapse; margin: 4px 0 10px; font-size: 9pt; }
table.data th { background: var(--band); color: #fff; text-align: left; padding: 4px 6px; font-weight: 600; }
table.data td { padding: 3px 6px; border-bottom: 1px solid var(--rule); vertical-align: top; }
table.data tbody tr:nth-child(even) td { background: var(--soft); }
table.data td.d { white-space: nowrap; }
table.data td.n, table.data th.n { text-align: right; font-variant-numeric: tabular-nums; }
table.data thead { display: table-header-group; }
table.data tr { break-inside: avoid; page-break-inside: avoid; }
.risk { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 8.5pt;
        white-space: nowrap; }
.empty { color: var(--muted); font-style: italic; }
.chart { margin: 6px 0 12px; break-inside: avoid; }
.chart svg { max-width: 100%; height: auto; }
.legend span { display: inline-block; margin-right: 14px; font-size: 9pt; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.notes { font-size: 9pt; color: var(--muted); }
.notes li { margin-bottom: 2px; }
section { break-inside: auto; }
.page-break { break-before: page; page-break-before: always; }
code { font-size: 8.5pt; word-break: break-all; }
@media screen { body { background: #e9edf1; } main { background: #fff; box-shadow: 0 0 6px #b9c2cb; } }
@page { size: A4; margin: 10mm 10mm 12mm 10mm;
        @bottom-right { content: "page " counter(page) " of " counter(pages);
                        font: 8pt Arial, sans-serif; color: #5a6772; vertical-align: top; } }
@media print {
  main { max-width: none; padding: 0 2mm; }
  .cards { grid-template-columns: repeat(4, 1fr); }
  body { font-size: 9.5pt; }
  /* the overdue list has 15 columns: small enough that it fits A4 portrait (190 mm) unclipped */
  table.data { font-size: 7.5pt; }
  table.data th, table.data td { padding: 2px 3px; }
  .risk { font-size: 7pt; padding: 0 3px; }
}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _fmt(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _risk(level: RiskLevel) -> str:
    return f'<span class="risk" style="background:{RISK_COLOURS[level]}">{_e(level.label)}</span>'


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[Cell | tuple[str, str]]],
    numeric: set[int] | None = None,
) -> str:
    """An HTML table; a cell given as ("html", markup) is trusted markup built here, else escaped."""
    if not rows:
        return '<p class="empty">None.</p>'
    numeric = numeric or set()
    head = "".join(
        f'<th class="{"n" if i in numeric else ""}">{_e(h)}</th>' for i, h in enumerate(header)
    )
    body = []
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            cls = ' class="n"' if i in numeric else ' class="d"' if isinstance(v, date) else ""
            if isinstance(v, tuple) and len(v) == 2 and v[0] == "html":
                cells.append(f"<td{cls}>{v[1]}</td>")
            else:
                cells.append(f"<td{cls}>{_e(_fmt(v))}</td>")  # type: ignore[arg-type]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


FLOW_MONTHS = 6  # the months the by-area and by-manager tables show (the CSV has them all)


def _pct_text(value: float | None) -> str | None:
    return None if value is None else f"{value:.1f}%"


def flow_section(report: ComplianceReport) -> str:
    """The monthly on-time flow, overall and by area and offender manager (recent months)."""
    rows = report.flow or []
    overall = [r for r in rows if r.group_by == "all"]
    body = _table(
        ("Month", "Due", "Made on time", "Made late", "Not made", "On time", "Plan", "Plan: owed", "Plan: on time"),
        [
            (r.month, r.due, r.on_time, r.late, r.not_made, _pct_text(r.on_time_pct), r.planned_in or None,
             r.planned_due, r.planned_on_time)
            for r in overall
        ],
        {1, 2, 3, 4, 5, 7, 8},
    )  # fmt: skip
    months = [r.month for r in overall][-FLOW_MONTHS:]
    for group_by, title in (("area", "Area"), ("offender_manager", "Offender manager")):
        share = {(r.group, r.month): r for r in rows if r.group_by == group_by}
        groups = sorted({g for g, _ in share})
        body += f"<h3>On time by {title.lower()} (share of visits due made on time)</h3>" + _table(
            (title, *months),
            [
                (
                    g,
                    *(
                        _pct_text(share[(g, m)].on_time_pct) if (g, m) in share else None
                        for m in months
                    ),
                )
                for g in groups
            ],
            set(range(1, len(months) + 1)),
        )
    trend = report.group_trend or []
    if trend:
        last = trend[-1].day
        body += f"<h3>Overdue on {_e(last.isoformat())} by area and offender manager</h3>" + _table(
            ("Grouped by", "Group", "Active", "Overdue"),
            [(t.group_by.replace("_", " "), t.group, t.active, t.overdue) for t in trend if t.day == last],
            {2, 3},
        )  # fmt: skip
    return (
        "<h2>Visits due each month: the share made on time</h2>"
        '<p class="notes">Of the visits that fell due in each month (up to the report date), '
        "how many were made on or before the due date, made late, or not made yet; the plan "
        "columns give what the record's plan for that month planned. Today's area and offender "
        "manager are used for every month; the full series is in flow.csv and trend_by_group.csv.</p>"
        + body
    )


def _card(key: str, value: str, alert: bool = False, sub: str = "") -> str:
    extra = f'<div class="k">{_e(sub)}</div>' if sub else ""
    return (
        f'<div class="card{" alert" if alert else ""}"><div class="k">{_e(key)}</div>'
        f'<div class="v">{_e(value)}</div>{extra}</div>'
    )


def _legend() -> str:
    items = "".join(
        f'<span><i style="background:{RISK_COLOURS[lv]}"></i>{_e(lv.label)}</span>'
        for lv in RISK_ORDER
    )
    return f'<div class="legend">{items}</div>'


def ageing_svg(ageing: dict[RiskLevel, dict[str, int]]) -> str:
    """Grouped bars: overdue people per ageing band, one bar per risk level."""
    bands = list(BAND_LABELS)
    w, h, left, bottom, top = 900, 260, 40, 34, 16
    plot_w, plot_h = w - left - 10, h - bottom - top
    peak = max([1] + [ageing[lv][b] for lv in RISK_ORDER for b in bands])
    ticks = _ticks(peak)
    peak = ticks[-1]
    group_w = plot_w / len(bands)
    bar_w = (group_w - 16) / len(RISK_ORDER)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-label="Overdue people by days overdue and risk level" font-family="Arial, sans-serif" font-size="11">'
    ]
    parts.extend(_y_grid(ticks, peak, left, w - 10, top, plot_h))
    for gi, band in enumerate(bands):
        gx = left + gi * group_w + 8
        for ri, lv in enumerate(RISK_ORDER):
            n = ageing[lv][band]
            bh = plot_h * n / peak
            x = gx + ri * bar_w
            y = top + plot_h - bh
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{bh:.1f}" fill="{RISK_COLOURS[lv]}">'
                f"<title>{_e(lv.label)}, {_e(band)} days: {n}</title></rect>"
            )
            if n:
                parts.append(
                    f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="9">{n}</text>'
                )
        label = band if band == "unknown" else f"{band} days"
        parts.append(
            f'<text x="{gx + (group_w - 16) / 2:.1f}" y="{h - bottom + 16}" text-anchor="middle">{_e(label)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{w - 10}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#1b2733"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _y_grid(
    ticks: Sequence[int], peak: int, left: int, right: int, top: int, plot_h: int
) -> list[str]:
    """Horizontal gridlines with their value labels, shared by the charts."""
    out: list[str] = []
    for t in ticks:
        y = top + plot_h - plot_h * t / peak
        out.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dbe1"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5a6772">{t}</text>'
        )
    return out


def trend_svg(points: Sequence[TrendPoint]) -> str:
    """Stacked bars: overdue people at each month end, split by risk level."""
    w, h, left, bottom, top = 900, 260, 40, 40, 16
    plot_w, plot_h = w - left - 10, h - bottom - top
    peak = max([1] + [p.overdue for p in points])
    ticks = _ticks(peak)
    peak = ticks[-1]
    slot = plot_w / max(1, len(points))
    bar_w = max(2.0, min(28.0, slot * 0.7))
    label_every = max(1, round(len(points) / 12))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-label="Overdue people at each month end" font-family="Arial, sans-serif" font-size="10">'
    ]
    parts.extend(_y_grid(ticks, peak, left, w - 10, top, plot_h))
    for i, p in enumerate(points):
        x = left + i * slot + (slot - bar_w) / 2
        base: float = top + plot_h
        # Faded: the log does not cover some people's earlier visits, so the count is a floor.
        fade = ' fill-opacity="0.4"' if p.unknown else ""
        # Lowest risk at the bottom so the most serious sit on top, where the eye lands.
        for lv in reversed(RISK_ORDER):
            n = p.overdue_by_risk[lv]
            if not n:
                continue
            bh = plot_h * n / peak
            base -= bh
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{bh:.1f}" fill="{RISK_COLOURS[lv]}"{fade}>'
                f"<title>{_e(p.day.isoformat())} {_e(lv.label)}: {n}</title></rect>"
            )
        if i % label_every == 0 or i == len(points) - 1:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{h - bottom + 14}" text-anchor="middle">{_e(p.day.strftime("%b %y"))}</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{w - 10}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#1b2733"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(peak: int) -> list[int]:
    """0 and 4-6 round steps reaching at least `peak`."""
    step = 1
    for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        step = s
        if peak / s <= 5:
            break
    top = -(-peak // step) * step
    return list(range(0, top + 1, step))


def _person_rows(people: Sequence[PersonState]) -> list[list[Cell | tuple[str, str]]]:
    return [
        [
            p.offender_id,
            ("html", _risk(p.risk_level)),
            p.offender_manager_id or NONE_KEY,
            p.area or NONE_KEY,
            p.last_visit_date,
            p.due_date,
            p.days_overdue,
            ageing_band(p.days_overdue),
            p.trigger,
            p.no_access_since_last,
            p.last_attempt_date,
            p.note,
        ]
        for p in people
    ]


PERSON_HEADER = (
    "Offender",
    "Risk",
    "OM",
    "Area",
    "Last visit",
    "Due",
    "Days overdue",
    "Band",
    "Why due",
    "No access",
    "Last attempt",
    "Note",
)


def _status_rows(people: Sequence[PersonState]) -> list[list[Cell | tuple[str, str]]]:
    return [
        [
            p.offender_id,
            ("html", _risk(p.risk_level)),
            p.offender_manager_id or NONE_KEY,
            p.area or NONE_KEY,
            p.status.value,
            p.last_visit_date,
            p.due_date,
        ]
        for p in people
    ]


def render_html(report: ComplianceReport) -> str:
    """The whole report as one HTML document (escaped, no external resources)."""
    h = report.headline
    as_of = report.as_of
    most = h.most_overdue
    pct = "n/a" if h.on_time_pct is None else f"{h.on_time_pct:.1f}%"
    cards = [
        _card(
            "Managed",
            str(h.managed),
            sub=f"{h.active} active, {h.reactive} reactive, {h.suspended} suspended",
        ),
        _card("Overdue", str(h.overdue), alert=h.overdue > 0, sub=f"{h.due_soon} more due soon"),
        _card("On time (active)", pct),
        _card(
            "Most overdue case",
            f"{most.days_overdue} days" if most else "none",
            alert=most is not None,
            sub=f"{most.offender_id}, {most.risk_level.label} risk" if most else "",
        ),
        _card(
            "Median days overdue",
            "n/a" if h.median_days_overdue is None else f"{h.median_days_overdue:g}",
        ),
        _card(
            "Worst days overdue",
            "n/a" if h.worst_days_overdue is None else str(h.worst_days_overdue),
        ),
        _card(
            "Overdue, date unknown",
            str(h.overdue_unknown_age),
            alert=h.overdue_unknown_age > 0,
            sub="never visited, no dates",
        ),
        _card("No-access since last visit", str(h.no_access_people), sub="people"),
    ]
    risk_rows: list[list[Cell | tuple[str, str]]] = [
        [
            ("html", _risk(r.risk_level)),
            r.managed,
            r.active,
            r.due_soon,
            r.overdue,
            r.worst_days_overdue,
            None if r.on_time_pct is None else f"{r.on_time_pct:.1f}%",
        ]
        for r in h.by_risk
    ]
    ageing_rows: list[list[Cell | tuple[str, str]]] = [
        [
            ("html", _risk(lv)),
            *(report.ageing[lv][b] for b in BAND_LABELS),
            sum(report.ageing[lv].values()),
        ]
        for lv in RISK_ORDER
    ]
    group_header = ("Managed", "Active", "Due", "Due soon", "Overdue", "Worst days", "On time")

    def group_rows(rows: Sequence[GroupRow]) -> list[list[Cell | tuple[str, str]]]:
        return [
            [
                g.key,
                g.managed,
                g.active,
                g.due,
                g.due_soon,
                g.overdue,
                g.worst_days_overdue,
                None if g.on_time_pct is None else f"{g.on_time_pct:.1f}%",
            ]
            for g in rows
        ]

    s: list[str] = []
    s.append(
        f'<h2>Headline</h2><div class="cards">{"".join(cards)}</div>'
        f"<h3>By risk level</h3>"
        + _table(
            ("Risk", "Managed", "Active", "Due soon", "Overdue", "Worst days", "On time"),
            risk_rows,
            {1, 2, 3, 4, 5, 6},
        )
    )
    s.append(
        "<h2>How overdue: ageing by risk level</h2>"
        f'<div class="chart">{ageing_svg(report.ageing)}{_legend()}</div>'
        + _table(
            ("Risk", *(f"{b} days" if b != "unknown" else b for b in BAND_LABELS), "Total"),
            ageing_rows,
            set(range(1, 7)),
        )
    )
    if report.trend is not None:
        trend_body = (
            f'<div class="chart">{trend_svg(report.trend)}{_legend()}</div>'
            if report.trend
            else '<p class="empty">The visit log has no entries on or before the report date.</p>'
        )
        partial = [t for t in report.trend if t.unknown]
        if partial:
            trend_body += (
                f'<p class="notes">Faded bars ({len(partial)} month ends, up to {_e(partial[-1].day.isoformat())}): '
                "the visit log does not reach back far enough to know every person's visits before that date "
                f"(up to {max(t.unknown for t in partial)} people), so they are left out and the count is a floor.</p>"
            )
        s.append(f"<h2>Overdue at each month end</h2>{trend_body}")
    if report.flow is not None:
        s.append(flow_section(report))
    s.append(
        "<h2>By offender manager</h2>"
        + _table(
            ("Offender manager", *group_header), group_rows(report.by_manager), set(range(1, 8))
        )
        + "<h2>By area</h2>"
        + _table(("Area", *group_header), group_rows(report.by_area), set(range(1, 8)))
    )
    s.append(
        f'<h2 class="page-break">Overdue visits ({len(report.overdue)})</h2>'
        '<p class="notes">Most serious risk first, then most overdue. People never visited with no '
        "registration date are owed a visit but nobody can say how late it is: they head their risk level.</p>"
        + _table(PERSON_HEADER, _person_rows(report.overdue), {6, 9})
    )
    s.append(
        f"<h2>No-access attempts since the last completed visit ({len(report.no_access)})</h2>"
        + _table(PERSON_HEADER, _person_rows(report.no_access), {6, 9})
    )
    if report.plan_vs_actual is not None:
        checks = report.plan_vs_actual
        outcomes: dict[str, int] = {}
        for c in checks:
            outcomes[c.outcome] = outcomes.get(c.outcome, 0) + 1
        summary = (
            ", ".join(f"{_e(k)}: {v}" for k, v in sorted(outcomes.items()))
            or "no planned visits up to the report date"
        )
        missed = [c for c in checks if not c.made]
        s.append(
            f"<h2>Plan against actual</h2><p>{len(checks)} planned visits dated on or before "
            f"{_e(as_of.isoformat())}: {summary}. Planned visits not made:</p>"
            + _table(
                ("Visit", "Planned", "Offender", "Risk", "Due", "Officers", "Outcome"),
                [
                    [
                        c.visit_id,
                        c.planned_date,
                        c.offender_id,
                        ("html", _risk(c.risk_level)),
                        c.due_date,
                        ";".join(c.officer_ids),
                        c.outcome,
                    ]
                    for c in missed
                ],
            )
        )
    status_header = ("Offender", "Risk", "OM", "Area", "Status", "Last visit", "Due (if active)")
    s.append(
        f"<h2>Suspended: custody, hospital, abroad ({len(report.suspended)})</h2>"
        + _table(status_header, _status_rows(report.suspended))
        + f"<h2>Reactive management ({len(report.reactive)})</h2>"
        + _table(status_header, _status_rows(report.reactive))
    )
    run = report.run
    run_rows: list[list[Cell | tuple[str, str]]] = []
    for k, v in run.items():
        if isinstance(v, dict):
            for name, digest in sorted(v.items()):
                run_rows.append([f"input {name} sha256", ("html", f"<code>{_e(digest)}</code>")])
        else:
            run_rows.append(
                [k, ("html", f"<code>{_e(v)}</code>") if k.endswith("sha256") else str(v)]
            )
    bands = ", ".join(b[0] for b in AGEING_BANDS)
    s.append(
        '<h2>How these figures are worked out</h2><ul class="notes">'
        f"<li>Only visits recorded on or before {_e(as_of.isoformat())} count; only completed visits satisfy the "
        "requirement (the later of the log and last_visit_date). No-access and cancelled visits do not.</li>"
        "<li>Due date: last completed visit + interval (the person's own interval if set, else the risk level's); "
        "never visited: registration + first-visit days; a later release or address change brings it forward.</li>"
        "<li>Overdue: the report date is after the due date; days overdue = report date − due date. Due soon: "
        "inside the risk level's window before the due date.</li>"
        f"<li>Ageing bands (days overdue): {_e(bands)}; 'unknown' = never visited and no dates.</li>"
        "<li>Suspended and reactive people count as managed but are never overdue; on-time shares are of "
        "people under active management.</li></ul>"
        "<h2>Run record</h2>" + _table(("Item", "Value"), run_rows)
    )
    title = f"Home-visit compliance report — as of {as_of.isoformat()}"
    frame_space = '<tr><td><div class="space"></div></td></tr>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{_e(title)}</title><style>{CSS}</style></head><body>'
        f'<div class="marking top">{MARKING}</div><div class="marking bottom">{MARKING}</div>'
        f'<table class="frame"><thead>{frame_space}</thead><tfoot>{frame_space}</tfoot><tbody><tr><td><main>'
        f'<header class="title"><p class="sub">{MARKING} · visits to registered sex offenders</p>'
        f"<h1>Home-visit compliance report</h1>"
        f'<p class="sub">As of {_e(as_of.strftime("%d %B %Y"))} · produced {_e(run.get("produced_at", ""))} · '
        f"rso-scheduler {_e(run.get('tool_version', ''))}</p></header>"
        + "".join(f"<section>{part}</section>" for part in s)
        + "</main></td></tr></tbody></table></body></html>\n"
    )
