"""Rosters officers can carry: a printable A4 page and an iCalendar file per officer.

`write_handouts(stage, dataset, result, calendar)` writes, for every officer with a visit:

- `handouts/<officer>.html`: OFFICIAL-SENSITIVE at the top and bottom of every printed page; the
  officer's name, then each day with the time they leave base and are back, and the visits in
  order (time, person id and address, risk, kind, partner) with a box for the outcome. All text escaped; no
  outside resources (a Content-Security-Policy forbids any).
- `calendar/<officer>.ics`: one event per visit (pseudonymous person id, risk, kind, partner;
  never coordinates; the address as LOCATION only with policy `[outputs] calendar_addresses`), times in Europe/London with its VTIMEZONE. UIDs come from
  the person, due date and seq of the visit and the plan's identity, never from visit ids, so
  a re-plan (`rso replan`) updates an event instead of adding a second one; SEQUENCE rises when
  an event changes, and a visit no longer on the officer's roster is a STATUS:CANCELLED event
  (and is also written to `calendar/<officer>.cancel.ics`, METHOD:CANCEL).
- `calendar/index.csv`: every event written (uid, officer, visit, sequence, status, stamp), read
  back by the next re-plan to number and cancel events.

All writes go through `outputs.files` (atomic, owner-only).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from rso_scheduler.models import Dataset
from rso_scheduler.outputs.files import csv_text, write_private
from rso_scheduler.outputs.roster_files import RosterFiles, safe_file_name
from rso_scheduler.roster import Break, PlannedVisit, PlanResult, hhmm

MARKING = "OFFICIAL-SENSITIVE"
CSP = "default-src 'none'; style-src 'unsafe-inline'"
LONDON = ZoneInfo("Europe/London")
PRODID = "-//rso-scheduler//roster//EN"
CALENDAR_INDEX_COLUMNS = (
    "uid",
    "officer_id",
    "visit_id",
    "sequence",
    "status",
    "stamp",
    "date",
    "start",
    "end",
)

CSS = """
* { box-sizing: border-box; }
body { margin: 0; font: 10.5pt/1.4 "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: #1b2733; }
.marking { position: fixed; left: 0; right: 0; text-align: center; font-weight: 700;
           letter-spacing: .12em; font-size: 9pt; color: #fff; background: #1f3a5f; padding: 3px 0; }
.marking.top { top: 0; } .marking.bottom { bottom: 0; }
main { max-width: 190mm; margin: 0 auto; padding: 0 8px; }
table.frame { width: 100%; border-collapse: collapse; }
table.frame > thead > tr > td, table.frame > tfoot > tr > td, table.frame > tbody > tr > td {
  padding: 0; border: 0; }
td.space { height: 30px; }
td.t { white-space: nowrap; }
h1 { font-size: 16pt; margin: 4px 0; } h2 { font-size: 12pt; margin: 16px 0 4px; color: #1f3a5f; }
.sub { color: #5a6772; margin: 0 0 8px; }
.addr { font-size: 9pt; color: #394754; }
section.day { break-inside: avoid; page-break-inside: avoid; }
table { width: 100%; border-collapse: collapse; font-size: 9.5pt; }
th { background: #1f3a5f; color: #fff; text-align: left; padding: 3px 5px; }
td { border-bottom: 1px solid #d5dbe1; padding: 4px 5px; vertical-align: top; }
table.visits { table-layout: fixed; }
td.box { height: 34px; border: 1px solid #5a6772; font-size: 8pt; color: #5a6772; }
thead { display: table-header-group; } tr { break-inside: avoid; page-break-inside: avoid; }
@page { size: A4; margin: 12mm 10mm; }
"""


# The same column widths on every day's table, so that a printed roster reads down one grid
# (left to the browser, each day sized its columns to its own text).
VISIT_COLUMNS = (
    "<colgroup>"
    + "".join(f'<col style="width:{w}">' for w in ("4%", "12%", "12%", "9%", "13%", "20%", "30%"))
    + "</colgroup>"
)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def page(title: str, body: str) -> str:
    """A self-contained A4 page with the protective marking at the top and bottom."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f'<div class="marking top">{MARKING}</div>'
        # the spacer rows repeat on every printed page, keeping text clear of the markings
        '<table class="frame"><thead><tr><td class="space"></td></tr></thead>'
        '<tfoot><tr><td class="space"></td></tr></tfoot>'
        f"<tbody><tr><td><main>{body}</main></td></tr></tbody></table>"
        f'<div class="marking bottom">{MARKING}</div></body></html>\n'
    )


# --- calendar identity ----------------------------------------------------------------------


def plan_identity(
    plan_start: date, plan_end: date, input_files: Mapping[str, str], how: str = ""
) -> str:
    """A plan's identity for calendar UIDs: its period, the inputs it was first made from and
    `how` (solver and seed), so two different plans of a month never share an event."""
    text = f"{plan_start}|{plan_end}|{how}|"
    text += "|".join(f"{k}={v}" for k, v in sorted(input_files.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def plan_id_of(files: RosterFiles) -> str:
    """The identity a plan folder's calendars were made with (run.json's `plan_id`; a plan
    written before it was recorded: made again from its period, inputs, solver and seed), so
    that whatever rewrites the calendars (`rso replan`, the workbench) updates their events."""
    return str(
        files.run.get("plan_id")
        or plan_identity(
            files.plan_start,
            files.plan_end,
            files.run.get("input_files") or {},
            f"{files.run.get('solver')}|{files.run.get('seed')}",
        )
    )


def event_uid(plan_id: str, offender_id: str, due_date: date, seq: int) -> str:
    """The UID of a visit's event: stable across re-plans of the same plan."""
    text = f"{plan_id}|{offender_id}|{due_date.isoformat()}|{seq}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + "@rso-scheduler"


@dataclass(frozen=True)
class CalendarEntry:
    """One event as a calendar file last carried it (calendar/index.csv)."""

    uid: str
    officer_id: str
    visit_id: str
    sequence: int
    status: str  # CONFIRMED or CANCELLED
    stamp: str  # what the event said (day, times, crew, kind), to see whether it changed
    date: date | None = None  # the event's day and times, repeated on its cancellation
    start_min: int = 0
    end_min: int = 0


@dataclass
class CalendarPlan:
    """What the calendar files need beyond the roster: UIDs and the previous events."""

    plan_id: str
    uids: dict[str, str] = field(default_factory=dict)  # visit_id -> uid (else derived)
    previous: list[CalendarEntry] = field(default_factory=list)
    # visit_id -> why it changed, shown in the event description after a re-plan
    notes: dict[str, str] = field(default_factory=dict)


def read_calendar_index(plan_dir: Path) -> list[CalendarEntry]:
    """calendar/index.csv of a plan folder (an older plan without one: no entries)."""
    path = Path(plan_dir) / "calendar" / "index.csv"
    if not path.is_file():
        return []
    out = []
    for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
        try:
            seq = int(row.get("sequence") or 0)
            day = date.fromisoformat(row["date"]) if row.get("date") else None
            start, end = (_minutes(row.get(k) or "00:00") for k in ("start", "end"))
        except ValueError:
            seq, day, start, end = 0, None, 0, 0  # an entry edited by hand: still cancellable
        out.append(
            CalendarEntry(
                row.get("uid", ""),
                row.get("officer_id", ""),
                row.get("visit_id", ""),
                seq,
                row.get("status", "CONFIRMED"),
                row.get("stamp", ""),
                day,
                start,
                end,
            )
        )
    return [e for e in out if e.uid and e.officer_id]


def _minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _stamp(v: PlannedVisit) -> str:
    text = f"{v.date}|{v.start_min}|{v.end_min}|{';'.join(v.officer_ids)}|{v.kind.value}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _local(day: date, minutes: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LONDON) + timedelta(minutes=minutes)


# --- writing --------------------------------------------------------------------------------


def _officer_visits(result: PlanResult) -> dict[str, list[PlannedVisit]]:
    out: dict[str, list[PlannedVisit]] = defaultdict(list)
    for v in result.visits:
        for oid in v.officer_ids:
            out[oid].append(v)
    for lst in out.values():
        lst.sort(key=lambda v: (v.date, v.start_min, v.visit_id))
    return out


def _partners(v: PlannedVisit, oid: str, names: Mapping[str, str]) -> str:
    others = [o for o in v.officer_ids if o != oid]
    return "; ".join(f"{names.get(o, o)} ({o})" if names.get(o, o) != o else o for o in others)


def _address(address: str | None) -> str:
    return f'<br><span class="addr">{_e(address)}</span>' if address else ""


def _handout_html(
    oid: str,
    name: str,
    visits: list[PlannedVisit],
    result: PlanResult,
    names: Mapping[str, str],
    addresses: Mapping[str, str],
) -> str:
    # an officer in split crews has a leg in each part of the day: the day runs from the
    # first one's departure to the last one's return (their visits are listed in time order)
    span: dict[date, tuple[int, int]] = {}
    for r in result.routes:
        for g in r.legs:
            if g.officer_id == oid:
                lo, hi = span.get(r.date, (g.depart_min, g.return_min))
                span[r.date] = (min(lo, g.depart_min), max(hi, g.return_min))
    by_day: dict[date, list[PlannedVisit]] = defaultdict(list)
    for v in visits:
        by_day[v.date].append(v)
    breaks = {b.date: b for b in result.breaks if b.officer_id == oid}
    parts = [
        f"<h1>Visit roster: {_e(name)}</h1>",
        f'<p class="sub">Officer {_e(oid)} &middot; plan {_e(result.plan_start)} to '
        f"{_e(result.plan_end)} &middot; {len(visits)} visit{'s' if len(visits) != 1 else ''} "
        f"on {len(by_day)} day{'s' if len(by_day) != 1 else ''}. Record each outcome "
        "(completed, no access, cancelled) in the box and return the sheet.</p>",
    ]
    for day, todays in sorted(by_day.items()):
        out_back = span.get(day)
        times = (
            f"leave base {hhmm(out_back[0])} &middot; back at base {hhmm(out_back[1])}"
            if out_back
            else "base times: see the crew's route"
        )
        b = breaks.get(day)
        if b is not None:
            times += f" &middot; refreshment break {hhmm(b.start_min)}&ndash;{hhmm(b.end_min)}"
        rows = "".join(
            f'<tr><td>{k}</td><td class="t">{hhmm(v.start_min)}&ndash;{hhmm(v.end_min)}</td>'
            f"<td>{_e(v.offender_id)}{_address(addresses.get(v.offender_id))}</td>"
            f"<td>{_e(v.risk_level.label)}</td>"
            f"<td>{_e(v.kind.value)}</td><td>{_e(_partners(v, oid, names)) or 'alone'}</td>"
            '<td class="box">outcome: completed / no access / cancelled</td></tr>'
            for k, v in enumerate(todays, start=1)
        )
        parts.append(
            f'<section class="day"><h2>{_e(f"{day:%A} {day.day} {day:%B %Y}")}</h2>'
            f'<p class="sub">{times}</p><table class="visits">{VISIT_COLUMNS}'
            "<thead><tr><th>#</th><th>time</th>"
            "<th>person</th><th>risk</th><th>kind</th><th>partner</th><th>outcome</th></tr>"
            f"</thead><tbody>{rows}</tbody></table></section>"
        )
    return page(f"Visit roster {name}", "".join(parts))


def _confirmed(uid: str, seq: int, now: datetime, day: date, start: int, end: int) -> Event:
    """A confirmed, busy, confidential event of the calendar from `start` to `end` on `day`."""
    ev = Event()
    ev.add("uid", uid)
    ev.add("dtstamp", now)
    ev.add("sequence", seq)
    ev.add("dtstart", _local(day, start))
    ev.add("dtend", _local(day, end))
    ev.add("status", "CONFIRMED")
    ev.add("transp", "OPAQUE")
    ev.add("class", "CONFIDENTIAL")
    return ev


def _event(
    v: PlannedVisit,
    oid: str,
    uid: str,
    seq: int,
    names: Mapping[str, str],
    note: str,
    now: datetime,
    location: str | None = None,
) -> Event:
    ev = _confirmed(uid, seq, now, v.date, v.start_min, v.end_min)
    ev.add("summary", f"RSO visit {v.offender_id} ({v.risk_level.label})")
    partner = _partners(v, oid, names) or "none (single-officer visit)"
    text = f"Person {v.offender_id}; risk {v.risk_level.label}; {v.kind.value}; partner {partner}"
    ev.add("description", text + (f". {note}" if note else ""))
    if location:
        ev.add("location", location)
    return ev


def break_uid(plan_id: str, officer_id: str, day: date) -> str:
    """The UID of an officer's refreshment break event on a day (stable across re-plans)."""
    text = f"{plan_id}|break|{officer_id}|{day.isoformat()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + "@rso-scheduler"


def _break_event(b: Break, uid: str, seq: int, now: datetime) -> Event:
    ev = _confirmed(uid, seq, now, b.date, b.start_min, b.end_min)
    ev.add("summary", "Refreshment break")
    return ev


def _cancel(entry: CalendarEntry, seq: int, now: datetime) -> Event:
    ev = Event()
    ev.add("uid", entry.uid)
    ev.add("dtstamp", now)
    ev.add("sequence", seq)
    if entry.date is not None:
        ev.add("dtstart", _local(entry.date, entry.start_min))
        ev.add("dtend", _local(entry.date, max(entry.end_min, entry.start_min)))
    ev.add("status", "CANCELLED")
    ev.add("summary", "Cancelled: RSO visit no longer on your roster")
    ev.add("class", "CONFIDENTIAL")
    return ev


def _calendar(method: str, name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", f"RSO visits {name}")
    return cal


def write_handouts(
    stage: Path, dataset: Dataset, result: PlanResult, calendar: CalendarPlan
) -> dict[str, int]:
    """Write handouts/ and calendar/ into `stage`; returns counts (officers, events, cancelled)."""
    stage = Path(stage)
    officers = dataset.officer_by_id()
    names = {oid: o.display_name for oid, o in officers.items()}
    addresses = {o.offender_id: o.address for o in dataset.offenders if o.address}
    # Calendars may sync beyond the force network: addresses go in only when policy says so.
    locations = addresses if dataset.policy.outputs.calendar_addresses else {}
    per_officer = _officer_visits(result)
    breaks_of: dict[str, list[Break]] = defaultdict(list)
    for b in result.breaks:
        breaks_of[b.officer_id].append(b)
    previous: dict[tuple[str, str], CalendarEntry] = {
        (e.uid, e.officer_id): e for e in calendar.previous
    }
    now = datetime.now(UTC).replace(microsecond=0)
    everyone = sorted(set(per_officer) | {e.officer_id for e in calendar.previous})
    used_html: set[str] = set()
    used_ics: set[str] = set()
    index: list[list[object]] = []
    n_events = n_cancelled = 0
    for oid in everyone:
        name = names.get(oid, oid)
        visits = per_officer.get(oid, [])
        if visits:
            html_name = safe_file_name(oid, used_html, ".html")
            write_private(
                stage / "handouts" / html_name,
                _handout_html(oid, name, visits, result, names, addresses),
            )
        cal = _calendar("PUBLISH", name)
        cancel_cal = _calendar("CANCEL", name)
        present: set[str] = set()
        for v in visits:
            uid = calendar.uids.get(v.visit_id) or event_uid(
                calendar.plan_id, v.offender_id, v.due_date, v.seq
            )
            stamp = _stamp(v)
            prev = previous.get((uid, oid))
            if prev is None:
                seq = 0
            elif prev.status == "CONFIRMED" and prev.stamp == stamp:
                seq = prev.sequence
            else:
                seq = prev.sequence + 1
            present.add(uid)
            note = calendar.notes.get(v.visit_id, "")
            cal.add_component(
                _event(v, oid, uid, seq, names, note, now, locations.get(v.offender_id))
            )
            when = [v.date.isoformat(), hhmm(v.start_min), hhmm(v.end_min)]
            index.append([uid, oid, v.visit_id, seq, "CONFIRMED", stamp, *when])
            n_events += 1
        for b in breaks_of.get(oid, []):  # listed like visits, so a re-plan can cancel them
            uid = break_uid(calendar.plan_id, oid, b.date)
            stamp = hashlib.sha256(f"{b.start_min}|{b.end_min}".encode()).hexdigest()[:16]
            prev = previous.get((uid, oid))
            same = prev is not None and prev.status == "CONFIRMED" and prev.stamp == stamp
            seq = 0 if prev is None else prev.sequence + (not same)
            present.add(uid)
            cal.add_component(_break_event(b, uid, seq, now))
            when = [b.date.isoformat(), hhmm(b.start_min), hhmm(b.end_min)]
            index.append([uid, oid, "", seq, "CONFIRMED", stamp, *when])
        for (uid, who), prev in sorted(previous.items()):
            if who != oid or uid in present:
                continue
            seq = prev.sequence if prev.status == "CANCELLED" else prev.sequence + 1
            cal.add_component(_cancel(prev, seq, now))
            cancel_cal.add_component(_cancel(prev, seq, now))
            when = [prev.date.isoformat() if prev.date else "", hhmm(prev.start_min)]
            index.append([uid, oid, prev.visit_id, seq, "CANCELLED", prev.stamp, *when])
            index[-1].append(hhmm(prev.end_min))
            n_cancelled += 1
        if not cal.subcomponents:
            continue
        # VTIMEZONE rules for the plan's years only (the default spans 1970-2038)
        cal.add_missing_timezones(
            date(result.plan_start.year - 1, 1, 1), date(result.plan_end.year + 2, 1, 1)
        )
        cancel_cal.add_missing_timezones(
            date(result.plan_start.year - 2, 1, 1), date(result.plan_end.year + 2, 1, 1)
        )
        ics_name = safe_file_name(oid, used_ics, ".ics", reserved=("index.csv",))
        write_private(stage / "calendar" / ics_name, cal.to_ical())
        if cancel_cal.subcomponents:
            cancel_name = safe_file_name(oid + ".cancel", used_ics, ".ics")
            write_private(stage / "calendar" / cancel_name, cancel_cal.to_ical())
    write_private(stage / "calendar" / "index.csv", csv_text(CALENDAR_INDEX_COLUMNS, index))
    return {
        "handout_officers": len(per_officer),
        "calendar_events": n_events,
        "calendar_cancelled": n_cancelled,
    }
