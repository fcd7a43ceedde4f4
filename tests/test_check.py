"""The independent checker: for each rule, a roster that breaks it and one that does not."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rso_scheduler.check import check_plan, contract_travel_min, first_owed
from rso_scheduler.models import (
    Absence,
    Dataset,
    InputFile,
    Offender,
    Officer,
    RiskLevel,
    Status,
)
from rso_scheduler.outputs.roster_files import BreakRow, RosterFiles, RosterRow, UnscheduledRow
from rso_scheduler.policy import Policy, TravelPolicy, apply_overrides
from rso_scheduler.roster import lateness
from tests.solver_helpers import straight_km, straight_min

START, END = date(2027, 2, 1), date(2027, 2, 12)  # Mon 1 Feb to Fri 12 Feb, no bank holidays
BASE = (51.45, -0.97)


def _hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def base_dataset() -> Dataset:
    """Seven people (one unscheduled for want of a skill, one reactive) and three officers."""
    people = [
        Offender(offender_id="P1", risk_level=RiskLevel.very_high, lat=51.46, lon=-0.98, offender_manager_id="A", area="Reading", last_visit_date=date(2027, 1, 2)),
        Offender(offender_id="P2", risk_level=RiskLevel.high, lat=51.47, lon=-0.99, area="Reading", last_visit_date=date(2026, 10, 1), required_skills=frozenset({"welsh"})),
        Offender(offender_id="P3", risk_level=RiskLevel.low, lat=51.455, lon=-0.965, area="Reading", last_visit_date=date(2026, 2, 1), two_officers=False),
        Offender(offender_id="P4", risk_level=RiskLevel.medium, lat=51.448, lon=-0.972, area="Reading", last_visit_date=date(2026, 8, 15)),
        Offender(offender_id="P5", risk_level=RiskLevel.low, lat=51.449, lon=-0.973, area="Reading", status=Status.reactive),
        Offender(offender_id="P6", risk_level=RiskLevel.high, lat=51.44, lon=-0.95, area="Reading", last_visit_date=date(2026, 11, 1), window_start_min=_hm("10:00"), window_end_min=_hm("12:00"), unavailable_from=date(2027, 2, 3), unavailable_to=date(2027, 2, 5)),
        Offender(offender_id="P7", risk_level=RiskLevel.very_high, lat=51.452, lon=-0.975, area="Reading", last_visit_date=date(2027, 1, 28), visit_interval_days=7),
    ]  # fmt: skip
    officers = [
        Officer(officer_id="A", base_lat=BASE[0], base_lon=BASE[1], area="Reading", skills=frozenset({"arms_trained"})),
        Officer(officer_id="B", base_lat=BASE[0], base_lon=BASE[1], area="Reading", skills=frozenset({"female"})),
        Officer(officer_id="C", base_lat=51.51, base_lon=-0.59, area="Slough", working_days=frozenset({0, 1, 2, 3}), skills=frozenset({"polish"})),
    ]  # fmt: skip
    # breaks off here: each rule's case moves visits; the refreshment case turns them on
    policy = apply_overrides(Policy(), {"shifts.refreshment": "none"})
    return Dataset(offenders=tuple(people), officers=tuple(officers), policy=policy)


def row(
    vid: str,
    day: str,
    start: str,
    end: str,
    pid: str,
    officers: str,
    risk: str,
    due: str,
    kind: str = "announced",
    **kw: Any,
) -> RosterRow:
    """A roster row whose days_late follows from its dates unless given."""
    d, dd = date.fromisoformat(day), date.fromisoformat(due)
    fields: dict[str, Any] = dict(
        line=0,
        visit_id=vid,
        date=d,
        start_min=_hm(start),
        end_min=_hm(end),
        offender_id=pid,
        officer_ids=tuple(officers.split(";")),
        risk_level=risk,
        due_date=dd,
        days_late=max(0, (d - dd).days),
        kind=kind,
    )
    fields.update(kw)
    return RosterRow(**fields)


def base_rows() -> list[RosterRow]:
    """A valid roster for `base_dataset`."""
    return [
        row("V1", "2027-02-01", "10:00", "11:15", "P6", "A;B", "high", "2027-01-31", "unannounced"),
        row("V2", "2027-02-01", "13:00", "14:30", "P1", "A;B", "very_high", "2027-02-01", "unannounced"),
        row("V3", "2027-02-02", "10:00", "11:00", "P3", "A", "low", "2027-02-01"),
        row("V4", "2027-02-02", "12:00", "13:30", "P7", "A;B", "very_high", "2027-02-04", seq=0),
        row("V5", "2027-02-09", "12:00", "13:30", "P7", "A;B", "very_high", "2027-02-09", seq=1),
    ]  # fmt: skip


def base_unscheduled() -> list[UnscheduledRow]:
    return [UnscheduledRow(0, "P2", "high", date(2026, 12, 31), "no officer with skill welsh")]


def summary_of(
    ds: Dataset, rows: list[RosterRow], unscheduled: list[UnscheduledRow]
) -> dict[str, Any]:
    """summary.json figures computed here with the planner's travel module (not the checker's)."""
    people, officers = ds.offender_by_id(), ds.officer_by_id()
    days: dict[tuple[str, date], list[RosterRow]] = defaultdict(list)
    for r in rows:
        for oid in r.officer_ids:
            days[oid, r.date].append(r)
    minutes, km = 0, 0.0
    for (oid, _), seq in days.items():
        if oid not in officers:
            continue
        o = officers[oid]
        pts = (
            [(o.base_lat, o.base_lon)]
            + [
                (people[r.offender_id].lat, people[r.offender_id].lon)
                for r in sorted(seq, key=lambda r: r.start_min)
                if r.offender_id in people
            ]
            + [(o.base_lat, o.base_lon)]
        )
        minutes += sum(
            straight_min(*a, *b, ds.policy.travel) for a, b in zip(pts, pts[1:], strict=False)
        )
        km += sum(straight_km(*a, *b, ds.policy.travel) for a, b in zip(pts, pts[1:], strict=False))
    return {
        "plan_start": START.isoformat(),
        "plan_end": END.isoformat(),
        "visits_planned": len(rows),
        "visits_due": sum(1 for r in rows if not r.pulled_forward) + len(unscheduled),
        "on_time": sum(1 for r in rows if r.date <= r.due_date and not r.pulled_forward),
        "late": sum(1 for r in rows if r.date > r.due_date),
        "unscheduled": len(unscheduled),
        "travel_minutes": minutes,
        "travel_km": round(km, 1),
        # the planner's split (roster.lateness), not the checker's copy
        **lateness(
            ((r.due_date, r.date, r.risk_level) for r in rows),
            START,
            lambda risk: ds.policy.for_risk(risk).weight,
        ).as_dict(),
    }  # fmt: skip


def files(
    ds: Dataset,
    rows: list[RosterRow],
    unscheduled: list[UnscheduledRow] | None = None,
    summary: dict[str, Any] | None = None,
    breaks: list[BreakRow] | None = None,
    late_reasons: bool = True,
) -> RosterFiles:
    """RosterFiles for the rows, with a summary consistent with them unless overridden, and a
    late_reason on each late row unless `late_reasons` is False."""
    if late_reasons:
        rows = [
            dataclasses.replace(r, late_reason=r.late_reason or "every eligible crew-day full")
            if r.date > r.due_date
            else r
            for r in rows
        ]
    uns = base_unscheduled() if unscheduled is None else unscheduled
    s = summary_of(ds, rows, uns)
    s.update(summary or {})
    return RosterFiles(Path("."), START, END, False, rows, uns, s, {}, breaks=breaks)


def rules(ds: Dataset, f: RosterFiles, bank_holidays: bool = False) -> set[str]:
    return {v.rule for v in check_plan(ds, f, work_bank_holidays=bank_holidays)}


def with_person(ds: Dataset, pid: str, **changes: Any) -> Dataset:
    people = tuple(
        o.model_copy(update=changes) if o.offender_id == pid else o for o in ds.offenders
    )
    return ds.model_copy(update={"offenders": people})


def with_officer(ds: Dataset, oid: str, **changes: Any) -> Dataset:
    officers = tuple(
        o.model_copy(update=changes) if o.officer_id == oid else o for o in ds.officers
    )
    return ds.model_copy(update={"officers": officers})


def swap(rows: list[RosterRow], vid: str, **changes: Any) -> list[RosterRow]:
    """Rows with one visit changed; days_late follows the new dates unless given."""
    out = []
    for r in rows:
        if r.visit_id == vid:
            r = dataclasses.replace(r, **changes)
            if "days_late" not in changes:
                r = dataclasses.replace(r, days_late=max(0, (r.date - r.due_date).days))
        out.append(r)
    return out


def t(a: str, b: str) -> int:
    """Travel minutes between two people of the base dataset (planner's formula)."""
    p = base_dataset().offender_by_id()
    return straight_min(p[a].lat, p[a].lon, p[b].lat, p[b].lon, Policy().travel)


def t_base(a: str) -> int:
    p = base_dataset().offender_by_id()[a]
    return straight_min(BASE[0], BASE[1], p.lat, p.lon, Policy().travel)


def test_base_roster_is_clean() -> None:
    """The hand-made base roster breaks no rule."""
    ds = base_dataset()
    assert check_plan(ds, files(ds, base_rows()), work_bank_holidays=False) == []


Case = Callable[[Dataset, list[RosterRow]], tuple[Dataset, RosterFiles]]


def _rows_only(fn: Callable[[list[RosterRow]], list[RosterRow]]) -> Case:
    return lambda ds, rows: (ds, files(ds, fn(rows)))


def brk(oid: str, day: str, start: str, end: str) -> BreakRow:
    """A row of breaks.csv."""
    return BreakRow(0, oid, date.fromisoformat(day), _hm(start), _hm(end))


def base_breaks() -> list[BreakRow]:
    """Lawful breaks for `base_rows` under Police Regulations (08:00-16:00: 45 minutes in
    11:00-14:00): between two visits, or at base before the day's only visit."""
    return [
        brk("A", "2027-02-01", "11:20", "12:05"),
        brk("B", "2027-02-01", "11:20", "12:05"),
        brk("A", "2027-02-02", "11:05", "11:50"),
        brk("B", "2027-02-02", "11:00", "11:45"),
        brk("A", "2027-02-09", "11:00", "11:45"),
        brk("B", "2027-02-09", "11:00", "11:45"),
    ]


def _breaks(change: Callable[[list[BreakRow]], list[BreakRow]]) -> Case:
    """The base roster under police breaks, with breaks.csv changed by `change`."""

    def case(ds: Dataset, rows: list[RosterRow]) -> tuple[Dataset, RosterFiles]:
        police = ds.model_copy(update={"policy": Policy()})
        return police, files(police, rows, breaks=change(base_breaks()))

    return case


V2_AFTER_V1 = _hm("11:15") + t("P6", "P1")
V2_BACK_BY_SHIFT_END = _hm("16:00") - t_base("P1")

# rule -> (a roster that breaks it, a near miss that does not)
CASES: dict[str, tuple[Case, Case]] = {
    "visit_id": (
        _rows_only(lambda r: swap(r, "V3", visit_id="V1")),
        _rows_only(lambda r: swap(r, "V3", visit_id="V1b")),
    ),
    "date_in_plan": (
        _rows_only(lambda r: swap(r, "V3", date=date(2027, 2, 15))),
        _rows_only(lambda r: swap(r, "V3", date=date(2027, 2, 12))),
    ),
    "person_known": (
        _rows_only(lambda r: swap(r, "V3", offender_id="P99")),
        _rows_only(lambda r: r),
    ),
    "person_active": (
        lambda ds, r: (with_person(ds, "P3", status=Status.custody), files(with_person(ds, "P3", status=Status.custody), r)),
        lambda ds, r: (with_person(ds, "P3", status=Status.active), files(ds, r)),
    ),
    "person_unavailable": (
        _rows_only(lambda r: swap(r, "V1", date=date(2027, 2, 3))),
        _rows_only(lambda r: swap(r, "V1", date=date(2027, 2, 8))),
    ),
    "window": (
        _rows_only(lambda r: swap(r, "V1", start_min=_hm("11:00"), end_min=_hm("12:15"))),
        _rows_only(lambda r: swap(r, "V1", start_min=_hm("10:45"), end_min=_hm("12:00"))),
    ),
    "duration": (
        _rows_only(lambda r: swap(r, "V2", end_min=_hm("14:00"))),
        lambda ds, r: (with_person(ds, "P1", visit_minutes=60), files(with_person(ds, "P1", visit_minutes=60), swap(r, "V2", end_min=_hm("14:00")))),
    ),
    "officer_known": (
        _rows_only(lambda r: swap(r, "V2", officer_ids=("A", "Z"))),
        _rows_only(lambda r: swap(r, "V2", officer_ids=("B", "A"))),
    ),
    "officers_distinct": (
        _rows_only(lambda r: swap(r, "V2", officer_ids=("A", "A"))),
        _rows_only(lambda r: r),
    ),
    "officer_working": (
        _rows_only(lambda r: swap(r, "V3", date=date(2027, 2, 6))),  # a Saturday
        lambda ds, r: (with_officer(ds, "A", working_days=frozenset(range(7))), files(with_officer(ds, "A", working_days=frozenset(range(7))), swap(r, "V3", date=date(2027, 2, 6)))),
    ),
    "max_visits_per_day": (
        lambda ds, r: (with_officer(ds, "B", max_visits_per_day=1), files(ds, r)),
        lambda ds, r: (with_officer(ds, "B", max_visits_per_day=2), files(ds, r)),
    ),
    "two_officers": (
        _rows_only(lambda r: swap(r, "V2", officer_ids=("A",))),
        lambda ds, r: (with_person(ds, "P1", two_officers=False), files(ds, swap(r, "V2", officer_ids=("A",)))),
    ),
    "skills": (
        lambda ds, r: (with_person(ds, "P1", required_skills=frozenset({"polish"})), files(ds, r)),
        lambda ds, r: (with_person(ds, "P1", required_skills=frozenset({"female", "arms_trained"})), files(ds, r)),
    ),
    "strict_area": (
        lambda ds, r: (ds.model_copy(update={"policy": apply_overrides(ds.policy, {"areas.mode": "strict"})}), files(ds, swap(r, "V2", officer_ids=("A", "C")))),
        lambda ds, r: (ds, files(ds, swap(r, "V2", officer_ids=("A", "C")))),
    ),
    "risk_level": (
        _rows_only(lambda r: swap(r, "V2", risk_level="high")),
        _rows_only(lambda r: r),
    ),
    "kind": (
        _rows_only(lambda r: swap(r, "V2", kind="surprise")),
        _rows_only(lambda r: swap(r, "V2", kind="announced")),
    ),
    "overlap": (
        _rows_only(lambda r: swap(r, "V2", start_min=_hm("11:00"), end_min=_hm("12:30"))),
        _rows_only(lambda r: swap(r, "V2", start_min=V2_AFTER_V1, end_min=V2_AFTER_V1 + 90)),
    ),
    "travel_between": (
        _rows_only(lambda r: swap(r, "V2", start_min=V2_AFTER_V1 - 1, end_min=V2_AFTER_V1 + 89)),
        _rows_only(lambda r: swap(r, "V2", start_min=V2_AFTER_V1, end_min=V2_AFTER_V1 + 90)),
    ),
    "travel_from_base": (
        _rows_only(lambda r: swap(r, "V2", start_min=_hm("08:00") + t_base("P1") - 1, end_min=_hm("08:00") + t_base("P1") + 89)),
        _rows_only(lambda r: swap(r, "V2", start_min=_hm("08:00") + t_base("P1"), end_min=_hm("08:00") + t_base("P1") + 90)),
    ),
    "travel_to_base": (
        _rows_only(lambda r: swap(r, "V2", start_min=V2_BACK_BY_SHIFT_END - 89, end_min=V2_BACK_BY_SHIFT_END + 1)),
        _rows_only(lambda r: swap(r, "V2", start_min=V2_BACK_BY_SHIFT_END - 90, end_min=V2_BACK_BY_SHIFT_END)),
    ),
    "due_date": (
        _rows_only(lambda r: swap(r, "V2", due_date=date(2027, 2, 2))),
        _rows_only(lambda r: r),
    ),
    "earliest": (
        _rows_only(lambda r: swap(r, "V5", date=date(2027, 2, 5))),  # 3 days after V4; half of 7 is 4
        _rows_only(lambda r: swap(r, "V5", date=date(2027, 2, 8), due_date=date(2027, 2, 9))),
    ),
    "days_late": (
        _rows_only(lambda r: swap(r, "V1", days_late=0)),
        _rows_only(lambda r: swap(r, "V1", days_late=1)),
    ),
    "pulled_forward": (
        _rows_only(lambda r: [*r, row("V6", "2027-02-10", "10:00", "11:00", "P4", "A;B", "medium", "2027-02-13")]),
        _rows_only(lambda r: [*r, row("V6", "2027-02-10", "10:00", "11:00", "P4", "A;B", "medium", "2027-02-13", pulled_forward=True)]),
    ),
    "manager_flag": (
        _rows_only(lambda r: swap(r, "V2", offender_manager_on_visit=False)),
        _rows_only(lambda r: swap(r, "V2", offender_manager_on_visit=True)),
    ),
    "missing": (
        lambda ds, r: (ds, files(ds, r, [])),
        lambda ds, r: (ds, files(ds, r)),
    ),
    "both": (
        lambda ds, r: (ds, files(ds, r, [*base_unscheduled(), UnscheduledRow(2, "P1", "very_high", date(2027, 2, 1), "capacity")])),
        lambda ds, r: (ds, files(ds, r)),
    ),
    "not_owed": (
        lambda ds, r: (ds, files(ds, r, [*base_unscheduled(), UnscheduledRow(2, "P4", "medium", date(2027, 2, 13), "capacity")])),
        lambda ds, r: (ds, files(ds, r[:4], [*base_unscheduled(), UnscheduledRow(2, "P7", "very_high", date(2027, 2, 9), "capacity")])),
    ),
    "summary": (
        lambda ds, r: (ds, files(ds, r, summary={"travel_minutes": summary_of(ds, r, base_unscheduled())["travel_minutes"] + 1})),
        lambda ds, r: (ds, files(ds, r)),
    ),
    "refreshment": (
        _breaks(lambda bs: bs[1:]),  # A has no break on 2027-02-01
        _breaks(lambda bs: bs),
    ),
    "inputs_changed": (
        lambda ds, r: (ds.model_copy(update={"files": (InputFile(name="offenders.csv", sha256="b" * 64, rows=7),)}), dataclasses.replace(files(ds, r), run={"input_files": {"offenders.csv": "a" * 64}})),
        lambda ds, r: (ds.model_copy(update={"files": (InputFile(name="offenders.csv", sha256="a" * 64, rows=7),)}), dataclasses.replace(files(ds, r), run={"input_files": {"offenders.csv": "a" * 64}})),
    ),
}  # fmt: skip


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_is_detected(rule: str) -> None:
    """A roster breaking the rule is reported under that rule."""
    ds, f = CASES[rule][0](base_dataset(), base_rows())
    assert rule in rules(ds, f)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_near_miss_is_clean(rule: str) -> None:
    """The nearest roster that keeps the rule breaks nothing at all."""
    ds, f = CASES[rule][1](base_dataset(), base_rows())
    assert check_plan(ds, f, work_bank_holidays=False) == []


@pytest.mark.parametrize(
    ("k", "start", "end", "says"),
    [
        (0, "11:00", "11:45", "overlaps a visit"),
        (0, "11:20", "12:00", "shorter than the 45 minutes"),
        (0, "14:00", "14:45", "window"),
        (2, "11:00", "11:59", "drive"),  # a minute left between visits V3 and V4
    ],
)
def test_a_moved_break_is_detected(k: int, start: str, end: str, says: str) -> None:
    """A break moved into a visit, cut short, out of its window or onto the drive is refused."""

    def move(bs: list[BreakRow]) -> list[BreakRow]:
        bs[k] = dataclasses.replace(bs[k], start_min=_hm(start), end_min=_hm(end))
        return bs

    ds, f = _breaks(move)(base_dataset(), base_rows())
    found = [v for v in check_plan(ds, f, work_bank_holidays=False) if v.rule == "refreshment"]
    assert len(found) == 1 and says in found[0].message


def test_breaks_follow_the_policy_and_the_officer() -> None:
    """No break is due under "none" or for a short shift; an officer's own minutes are due."""
    police = base_dataset().model_copy(update={"policy": Policy()})
    staff = with_officer(police, "B", refreshment_minutes=20)
    short = [dataclasses.replace(b, end_min=b.start_min + 20) for b in base_breaks()]
    assert rules(staff, files(staff, base_rows(), breaks=short)) == {"refreshment"}  # A's
    only_b = [b for b in short if b.officer_id == "B"] + base_breaks()[::2]
    assert rules(staff, files(staff, base_rows(), breaks=only_b)) == set()
    assert rules(police, files(police, base_rows())) == {"refreshment"}  # breaks.csv missing
    four_hours = with_officer(police, "A", shift_end_min=_hm("12:00"))
    got = check_plan(
        four_hours, files(four_hours, base_rows()[:1], breaks=[]), work_bank_holidays=False
    )
    assert [v.officer_id for v in got if v.rule == "refreshment"] == ["B"]


def test_absence_and_bank_holiday() -> None:
    """An absent officer, or a bank holiday not allowed, is detected; allowing holidays clears it."""
    ds = base_dataset()
    absent = ds.model_copy(
        update={
            "absences": (Absence(officer_id="B", start=date(2027, 2, 1), end=date(2027, 2, 1)),)
        }
    )
    assert "officer_working" in rules(absent, files(absent, base_rows()))
    later = ds.model_copy(
        update={
            "absences": (Absence(officer_id="B", start=date(2027, 2, 3), end=date(2027, 2, 5)),)
        }
    )
    assert rules(later, files(later, base_rows())) == set()
    # 28 Dec 2026 is the substitute Boxing Day bank holiday
    hol_ds = Dataset(
        offenders=(
            Offender(
                offender_id="Q",
                risk_level=RiskLevel.low,
                lat=51.46,
                lon=-0.98,
                last_visit_date=date(2025, 12, 1),
                two_officers=False,
            ),
        ),
        officers=ds.officers,
        policy=ds.policy,
    )
    r = [row("H1", "2026-12-28", "10:00", "11:00", "Q", "A", "low", "2026-12-01")]
    f = dataclasses.replace(
        files(hol_ds, r, []), plan_start=date(2026, 12, 28), plan_end=date(2026, 12, 31)
    )
    f.summary.update(plan_start="2026-12-28", plan_end="2026-12-31")
    assert "officer_working" in rules(hol_ds, f)
    assert rules(hol_ds, f, bank_holidays=True) == set()  # fmt: skip


def test_summary_counts_each_checked() -> None:
    """Each summary count is compared with the files: a wrong one is reported, naming the field."""
    ds = base_dataset()
    for key in (
        "visits_due",
        "visits_planned",
        "on_time",
        "late",
        "unscheduled",
        "travel_minutes",
        "late_days_inherited",
        "late_days_added",
        "risk_weighted_late_days",
        "risk_weighted_late_days_inherited",
        "risk_weighted_late_days_added",
    ):
        good = summary_of(ds, base_rows(), base_unscheduled())[key]
        found = check_plan(
            ds, files(ds, base_rows(), summary={key: good + 1}), work_bank_holidays=False
        )
        assert [v.rule for v in found] == ["summary"] and key in found[0].message


def test_late_visit_without_a_reason_is_flagged_as_a_warning() -> None:
    """A late row with a blank late_reason is reported (rule late_reason), and `rso check`
    makes it one warning, not an error (a hand edit may move a visit later)."""
    from rso_scheduler.check import findings

    ds = base_dataset()
    late = [r.visit_id for r in base_rows() if r.date > r.due_date]
    assert late, "the base roster has a late visit"
    found = check_plan(ds, files(ds, base_rows(), late_reasons=False), work_bank_holidays=False)
    assert sorted(v.visit_id or "" for v in found if v.rule == "late_reason") == sorted(late)
    result = findings(found)
    assert result.errors == [] and any("no late_reason" in w for w in result.warnings)
    assert check_plan(ds, files(ds, base_rows()), work_bank_holidays=False) == []


def test_first_owed_follows_the_contract() -> None:
    """Due dates: history, registration, release bringing it forward, half-interval floor."""
    ds = base_dataset()
    p = ds.offender_by_id()
    assert first_owed(p["P1"], ds, START).due == date(2027, 2, 1)
    never = Offender(offender_id="N", risk_level=RiskLevel.high, lat=51.0, lon=-1.0)
    assert first_owed(never, ds, START).due == START  # owed from the start
    reg = never.model_copy(update={"registered_on": date(2027, 1, 25)})
    owed = first_owed(reg, ds, START)
    assert owed.due == date(2027, 2, 8) and owed.earliest == START
    released = p["P4"].model_copy(update={"released_on": date(2027, 1, 20)})
    assert first_owed(released, ds, START).due == date(2027, 2, 3)
    weekly = p["P7"].model_copy(update={"last_visit_date": date(2027, 1, 30)})
    owed = first_owed(weekly, ds, date(2027, 1, 31))
    assert owed.due == date(2027, 2, 6) and owed.earliest == date(2027, 2, 3)  # 30 Jan + 4 days


def test_travel_formula_matches_the_planner() -> None:
    """The checker's inline formula agrees with travel.travel_min, and with a hand calculation."""
    tp = Policy(travel=TravelPolicy(circuity=1.35, speed_kmh=40))
    pts = [(51.45, -0.97), (51.46, -0.98), (51.51, -0.59), (50.0, -5.0), (51.45, -0.97)]
    for a in pts:
        for b in pts:
            assert contract_travel_min(*a, *b, tp) == straight_min(*a, *b, tp.travel)
    # one degree of latitude is 111.195 km: * 1.35 / 40 km/h * 60 = 225.17 -> 226 minutes
    assert contract_travel_min(51.0, 0.0, 52.0, 0.0, tp) == math.ceil(111.195 * 1.35 / 40 * 60)
