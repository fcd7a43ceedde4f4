"""`rso replan` end to end: pinned visits, absent officers, no-access visits, calendars."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from rso_scheduler.cli import main
from tests.replan_helpers import as_it_happens, pinned_copy, roster_rows

FROM = date(2027, 1, 11)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A generated team (300 people, 8 officers) and its issued January 2027 plan."""
    root = tmp_path_factory.mktemp("issued")
    data, plan = root / "data", root / "plan"
    code, out, err = _run(
        "generate", "--offenders", "300", "--officers", "8", "--seed", "3",
        "--start", "2027-01-01", "--as-of", "2026-11-30", "--out", str(data),
    )  # fmt: skip
    assert code == 0, out + err
    code, out, err = _run(
        "plan", str(data), "--month", "2027-01", "--out", str(plan), "--time-limit", "4",
        "--no-maps", "-q",
    )  # fmt: skip
    assert code == 0, out + err
    return data, plan


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _replan(plan: Path, data: Path, out: Path) -> dict[str, list[dict[str, str]]]:
    code, stdout, err = _run(
        "replan", str(plan), str(data), "--from", FROM.isoformat(), "--out", str(out),
        "--time-limit", "10", "--no-maps", "-q",
    )  # fmt: skip
    assert code == 0, stdout + err
    assert "Check: no violations." in stdout
    code, stdout, err = _run("check", str(data), str(out))  # the independent checker agrees
    assert code == 0 and stdout.startswith("no violations"), stdout + err
    return {"roster": _csv(out / "roster.csv"), "changes": _csv(out / "changes.csv")}


def _after(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in rows if r["date"] >= FROM.isoformat()]


def test_unchanged_month_keeps_every_visit(issued: tuple[Path, Path], tmp_path: Path) -> None:
    """Everything before --from done as planned, nobody off: every issued visit is kept."""
    data, plan = issued
    now = as_it_happens(data, plan, FROM, tmp_path / "now")
    got = _replan(plan, now, tmp_path / "out")
    issued_after = _after(roster_rows(plan))
    kept = [c for c in got["changes"] if c["change"] == "kept"]
    assert issued_after and len(kept) == len(issued_after)
    assert not [c for c in got["changes"] if c["change"] in ("moved", "reassigned", "removed")]
    summary = (tmp_path / "out" / "summary.json").read_text()
    assert '"kept_share": 1.0' in summary


def test_absent_officers_get_nothing_and_pinned_visits_survive(
    issued: tuple[Path, Path], tmp_path: Path
) -> None:
    """Two officers off sick from --from: none of their visits stays, every pinned visit of the
    others is kept exactly (day, times, officers) and stays pinned; a pinned visit of an
    absent officer is re-planned and says why."""
    data, plan = issued
    after = _after(roster_rows(plan))
    absent = sorted({o for r in after for o in r["officer_ids"].split(";")})[:2]
    involved = [r for r in after if set(r["officer_ids"].split(";")) & set(absent)]
    others = [r for r in after if r not in involved]
    pinned = {r["visit_id"] for r in others[::3]} | {involved[0]["visit_id"]}
    pinned_plan = pinned_copy(plan, tmp_path / "plan", pinned)
    now = as_it_happens(data, plan, FROM, tmp_path / "now", absent=absent)
    got = _replan(pinned_plan, now, tmp_path / "out")
    for r in got["roster"]:
        assert not set(r["officer_ids"].split(";")) & set(absent), r
    new = {
        (r["offender_id"], r["date"], r["start"], r["end"], r["officer_ids"]): r
        for r in got["roster"]
    }
    for r in others:
        if r["visit_id"] in pinned:
            key = (r["offender_id"], r["date"], r["start"], r["end"], r["officer_ids"])
            assert key in new and new[key]["pinned"] == "yes", r
    gone = next(c for c in got["changes"] if c["old_visit_id"] == involved[0]["visit_id"])
    assert gone["change"] != "kept" and "absent" in gone["reason"], gone
    kept_others = sum(
        1
        for c in got["changes"]
        if c["change"] == "kept" and c["old_visit_id"] in {r["visit_id"] for r in others}
    )
    assert kept_others >= 0.8 * len(others)
    pages = {p.name: p.read_text() for p in (tmp_path / "out" / "changes").glob("*.html")}
    # the page of the absent officer on the re-planned pinned visit (either of the two)
    who = next(a for a in absent if a in involved[0]["officer_ids"].split(";"))
    assert f"{who}.html" in pages
    page = pages[f"{who}.html"]
    assert page.count("OFFICIAL-SENSITIVE") == 2 and "http:" not in page and "https:" not in page
    assert involved[0]["offender_id"] in page and "absent" in page


def test_no_access_before_from_is_owed_again(issued: tuple[Path, Path], tmp_path: Path) -> None:
    """A visit before --from recorded as no access is owed again: planned or listed, with why."""
    data, plan = issued
    before = [r for r in roster_rows(plan) if r["date"] < FROM.isoformat()]
    after_people = {r["offender_id"] for r in _after(roster_rows(plan))}
    target = next(r for r in before if r["offender_id"] not in after_people)
    now = as_it_happens(data, plan, FROM, tmp_path / "now", no_access=[target["offender_id"]])
    got = _replan(plan, now, tmp_path / "out")
    pid = target["offender_id"]
    planned = [r for r in got["roster"] if r["offender_id"] == pid]
    listed = [u for u in _csv(tmp_path / "out" / "unscheduled.csv") if u["offender_id"] == pid]
    assert planned or listed
    if planned:
        change = next(c for c in got["changes"] if c["offender_id"] == pid)
        assert change["change"] == "added" and "no access" in change["reason"], change


def test_calendar_updates_issued_events_and_cancels_removed(
    issued: tuple[Path, Path], tmp_path: Path
) -> None:
    """Kept visits keep their UID; an absent officer's visits become CANCELLED events."""
    data, plan = issued
    after = _after(roster_rows(plan))
    absent = sorted({o for r in after for o in r["officer_ids"].split(";")})[0]
    now = as_it_happens(data, plan, FROM, tmp_path / "now", absent=[absent])
    _replan(plan, now, tmp_path / "out")
    old_rows = _csv(plan / "calendar" / "index.csv")
    old_index = {r["visit_id"]: r["uid"] for r in old_rows if r["visit_id"]}  # visits, no breaks
    new_index = _csv(tmp_path / "out" / "calendar" / "index.csv")
    changes = _csv(tmp_path / "out" / "changes.csv")
    for c in changes:
        if c["change"] == "kept":
            uids = {
                r["uid"]
                for r in new_index
                if r["visit_id"] == c["visit_id"] and r["status"] == "CONFIRMED"
            }
            assert uids == {old_index[c["old_visit_id"]]}
    ics = tmp_path / "out" / "calendar" / f"{absent}.ics"
    events = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert events and all(str(e["status"]) == "CANCELLED" for e in events)
    assert all(int(e["sequence"]) >= 1 for e in events)
    assert {str(e["uid"]) for e in events} <= {r["uid"] for r in old_rows}  # visits and breaks


def test_from_outside_the_plan_is_refused(issued: tuple[Path, Path]) -> None:
    """--from after the issued plan: exit 2 with a one-line message, nothing written."""
    data, plan = issued
    code, out, err = _run(
        "replan", str(plan), str(data), "--from", "2027-03-01", "--out", "/nonexistent/x"
    )
    assert code == 2 and "outside the issued plan" in out + err and "Traceback" not in out + err


def test_replan_quiet_still_says_the_planners_notices(
    issued: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rso replan -q`: a notice of the planner (e.g. the wall-clock net fired) is still on
    stderr, as for `rso plan -q` (nothing silent)."""
    import rso_scheduler.solver as solver

    real = solver.plan

    def noisy(*args: object, **kw: object):  # type: ignore[no-untyped-def]
        result = real(*args, **kw)  # type: ignore[arg-type]
        result.stats["notices"] = ["the local search was stopped by the wall clock (test)"]
        return result

    monkeypatch.setattr(solver, "plan", noisy)
    data, plan = issued
    code, out, err = _run(
        "replan", str(plan), str(data), "--from", FROM.isoformat(), "--out",
        str(tmp_path / "re"), "--time-limit", "2", "--no-maps", "-q",
    )  # fmt: skip
    assert code == 0, out + err
    assert "note: the local search was stopped by the wall clock (test)" in err


def test_kept_visits_keep_their_ids_and_added_ones_get_unused_ids(
    issued: tuple[Path, Path], tmp_path: Path
) -> None:
    """A re-plan after a no-access visit: matched visits keep their ids, the added one a new id."""
    data, plan = issued
    old = roster_rows(plan)
    old_ids = {r["visit_id"] for r in old}
    after_people = {r["offender_id"] for r in _after(old)}
    pid = next(
        r["offender_id"]
        for r in old
        if r["date"] < FROM.isoformat() and r["offender_id"] not in after_people
    )
    now = as_it_happens(data, plan, FROM, tmp_path / "now", no_access=[pid])
    changes = _replan(plan, now, tmp_path / "out")["changes"]
    matched = [c for c in changes if c["change"] in ("kept", "moved", "reassigned")]
    added = [c for c in changes if c["change"] == "added"]
    assert matched and all(c["visit_id"] == c["old_visit_id"] for c in matched)
    assert added and all(c["visit_id"] not in old_ids for c in added)
    top = max(int(i[1:]) for i in old_ids)
    assert sorted(int(c["visit_id"][1:]) for c in added)[0] == top + 1
