"""Synthetic Thames Valley data (`rso_scheduler.synth`) and the `rso generate` command."""

from __future__ import annotations

import csv
import io
import stat
import tempfile
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from rso_scheduler.calendar import bank_holidays
from rso_scheduler.cli import main
from rso_scheduler.demand import requirements
from rso_scheduler.geo import haversine_km
from rso_scheduler.ingest import load_dataset
from rso_scheduler.models import Dataset, Status
from rso_scheduler.policy import Policy, parse_policy
from rso_scheduler.synth import (
    FILE_NAMES,
    LPAS,
    TOWNS,
    GenerationError,
    choose_lpas,
    generate,
    write_dataset,
)
from tests.conftest import SAMPLE_DIR

START = date(2026, 11, 23)
# Thames Valley Police area (Berkshire, Buckinghamshire, Oxfordshire, Milton Keynes), generously.
BBOX = (51.30, 52.25, -1.75, -0.45)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def force() -> dict[str, str]:
    """A whole-force data set: 2,000 people, 40 officers (the one large case)."""
    return generate(2000, 40, seed=11, start=START)


@pytest.fixture(scope="module")
def force_dataset(force: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """The whole-force data set written out and loaded through the validator."""
    root = tmp_path_factory.mktemp("force")
    write_dataset(root, force)
    return load_dataset(root, today=START)


def test_same_seed_gives_identical_files() -> None:
    """Two runs with the same arguments give byte-identical files."""
    assert generate(150, 6, seed=3, start=START) == generate(150, 6, seed=3, start=START)


def test_different_seed_gives_different_files() -> None:
    """Another seed changes people and history."""
    a = generate(150, 6, seed=3, start=START)
    b = generate(150, 6, seed=4, start=START)
    assert a["offenders.csv"] != b["offenders.csv"]
    assert a["visits.csv"] != b["visits.csv"]


def test_writes_every_contract_file() -> None:
    """The folder holds exactly the five contract files."""
    assert sorted(generate(50, 4, seed=1, start=START)) == sorted(FILE_NAMES)


def test_risk_mix_within_tolerance(force: dict[str, str]) -> None:
    """2 / 18 / 30 / 50 % very high / high / medium / low, within a percentage point."""
    people = rows(force["offenders.csv"])
    counts = Counter(p["risk_level"] for p in people)
    for level, share in (("very_high", 0.02), ("high", 0.18), ("medium", 0.30), ("low", 0.50)):
        assert abs(counts[level] / len(people) - share) <= 0.01, level


def test_status_mix(force: dict[str, str]) -> None:
    """About a quarter of low risk is reactive; a few people in custody, hospital or abroad."""
    people = rows(force["offenders.csv"])
    low = [p for p in people if p["risk_level"] == "low"]
    reactive = sum(p["status"] == "reactive" for p in low) / len(low)
    assert 0.18 <= reactive <= 0.30
    away = sum(p["status"] in ("custody", "hospital", "abroad") for p in people) / len(people)
    assert 0.01 <= away <= 0.07


def test_coordinates_inside_thames_valley(force: dict[str, str]) -> None:
    """Every home and base lies in the Thames Valley box, with at most 5 decimals."""
    lo_lat, hi_lat, lo_lon, hi_lon = BBOX
    people = rows(force["offenders.csv"])
    for p in people:
        assert lo_lat <= float(p["lat"]) <= hi_lat
        assert lo_lon <= float(p["lon"]) <= hi_lon
        assert len(p["lat"].split(".")[1]) <= 5
    for o in rows(force["officers.csv"]):
        assert lo_lat <= float(o["base_lat"]) <= hi_lat
        assert lo_lon <= float(o["base_lon"]) <= hi_lon


def test_everyone_near_their_own_station(force: dict[str, str]) -> None:
    """Each person is within 50 km of their area's station (so well within 150 km of one)."""
    station = {a.name: (a.lat, a.lon) for a in LPAS}
    for p in rows(force["offenders.csv"]):
        lat, lon = station[p["area"]]
        assert haversine_km(float(p["lat"]), float(p["lon"]), lat, lon) <= 50


def test_every_town_belongs_to_a_known_area() -> None:
    """The town table only names areas of the LPA table, and every area has towns."""
    names = {a.name for a in LPAS}
    assert {t.lpa for t in TOWNS} == names


def test_force_size_uses_every_area_small_uses_a_contiguous_block() -> None:
    """2,000 people cover all areas; 600 the Reading block of four neighbouring areas."""
    assert choose_lpas(2000, 40) == list(LPAS)
    assert [a.name for a in choose_lpas(600, 14)] == [
        "Reading",
        "Wokingham",
        "Bracknell",
        "West Berkshire",
    ]
    assert [a.name for a in choose_lpas(2000, 5)] == ["Reading", "Wokingham"]  # teams of >= 2


def test_history_is_before_start(force: dict[str, str]) -> None:
    """No visit, last visit, registration, release or move on or after the plan start."""
    s = START.isoformat()
    assert all(v["date"] < s for v in rows(force["visits.csv"]))
    for p in rows(force["offenders.csv"]):
        for col in ("last_visit_date", "registered_on", "released_on", "address_changed_on"):
            assert p[col] == "" or p[col] < s, col


def test_as_of_stops_history_at_export_day() -> None:
    """A plan starting in the future gets no history after the export day."""
    as_of = date(2026, 11, 20)
    files = generate(300, 8, seed=2, start=date(2027, 1, 1), as_of=as_of)
    assert max(v["date"] for v in rows(files["visits.csv"])) <= as_of.isoformat()
    last = [p["last_visit_date"] for p in rows(files["offenders.csv"]) if p["last_visit_date"]]
    assert max(last) <= as_of.isoformat()


def test_required_skills_held_in_the_same_area(force: dict[str, str]) -> None:
    """Every skill a person needs is held by an officer of their own area."""
    held: dict[str, set[str]] = defaultdict(set)
    for o in rows(force["officers.csv"]):
        held[o["area"]].update(s for s in o["skills"].split(";") if s)
    needing = [p for p in rows(force["offenders.csv"]) if p["required_skills"]]
    assert needing, "expected some people to need a skill"
    for p in needing:
        assert set(p["required_skills"].split(";")) <= held[p["area"]]


def test_evening_windows_have_a_late_pair(force: dict[str, str]) -> None:
    """An area with evening-only people has two late-shift officers whose shift covers them."""
    late: Counter[str] = Counter()
    for o in rows(force["officers.csv"]):
        if o["shift_end"] >= "21:00":
            late[o["area"]] += 1
    evening = [p for p in rows(force["offenders.csv"]) if p["window_start"]]
    assert 0.04 <= len(evening) / 2000 <= 0.12
    for p in evening:
        assert p["window_start"] >= "17:00"
        assert late[p["area"]] >= 2


def test_managers_from_own_area_with_balanced_caseloads(force: dict[str, str]) -> None:
    """Each offender manager is an officer of the person's area; caseloads differ by at most one."""
    area_of = {o["officer_id"]: o["area"] for o in rows(force["officers.csv"])}
    load: Counter[str] = Counter()
    for p in rows(force["offenders.csv"]):
        assert area_of[p["offender_manager_id"]] == p["area"]
        load[p["offender_manager_id"]] += 1
    by_area: dict[str, list[int]] = defaultdict(list)
    for officer, n in load.items():
        by_area[area_of[officer]].append(n)
    for counts in by_area.values():
        assert max(counts) - min(counts) <= 1


def test_officers_look_like_a_team(force: dict[str, str]) -> None:
    """Ids keep leading zeros; 2-4 visit days; contract shifts; caps 4-6 when set."""
    officers = rows(force["officers.csv"])
    assert officers[0]["officer_id"] == "TV0001"
    for o in officers:
        assert 2 <= len(o["working_days"].split(";")) <= 4
        assert (o["shift_start"], o["shift_end"]) in {
            ("08:00", "16:00"),
            ("07:00", "15:00"),
            ("10:00", "18:00"),
            ("14:00", "22:00"),
        }
        assert o["max_visits_per_day"] in ("", "4", "5", "6")
        assert o["name"].split(" ")[0] in ("PC", "DC")


def test_absences_inside_two_months_and_sensible(force: dict[str, str]) -> None:
    """Absences start on or after the plan start, end within ~2 months, never overlap, and no
    training or court is booked on a bank holiday or weekend."""
    horizon = START + timedelta(days=61)
    holidays = bank_holidays(START, horizon)
    by_officer: dict[str, list[tuple[date, date]]] = defaultdict(list)
    reasons = Counter()
    for a in rows(force["absences.csv"]):
        s, e = date.fromisoformat(a["start"]), date.fromisoformat(a["end"])
        assert START <= s <= e <= horizon
        reasons[a["reason"]] += 1
        if a["reason"] in ("training", "court"):
            assert s not in holidays and s.weekday() < 5
        for s2, e2 in by_officer[a["officer_id"]]:
            assert e < s2 or s > e2
        by_officer[a["officer_id"]].append((s, e))
    assert {"annual leave", "training"} <= set(reasons)


def test_policy_file_is_the_default_policy(force: dict[str, str]) -> None:
    """policy.toml parses to exactly the built-in defaults and explains itself."""
    text = force["policy.toml"]
    assert parse_policy(text) == Policy()
    assert text.count("#") > 10


def test_generated_force_passes_the_validator(force_dataset: Dataset) -> None:
    """The 2,000-person folder loads through `load_dataset` with no problems or warnings."""
    assert len(force_dataset.offenders) == 2000
    assert len(force_dataset.officers) == 40
    assert force_dataset.warnings == ()


def test_backlog_is_realistic(force_dataset: Dataset) -> None:
    """At the plan start 7-14 % of active people are overdue; the worst by months, not years;
    most people are not due within the month."""
    end = START + timedelta(days=29)
    reqs = requirements(force_dataset, START, end, include_optional=False)
    active = sum(o.status is Status.active for o in force_dataset.offenders)
    overdue = [r for r in reqs if r.first_due < START]
    assert 0.07 <= len(overdue) / active <= 0.14
    worst = max((START - r.first_due).days for r in overdue)
    assert 60 <= worst <= 250
    assert len(reqs) < 0.5 * active
    triggers = Counter(r.trigger for r in reqs)
    assert triggers["registration"] and triggers["release"] and triggers["address change"]


def test_completed_log_matches_last_visit_for_most(force_dataset: Dataset) -> None:
    """For most people with a last_visit_date, the log holds a completed visit that day."""
    completed = {
        (v.offender_id, v.date) for v in force_dataset.visits if v.outcome.value == "completed"
    }
    with_last = [o for o in force_dataset.offenders if o.last_visit_date is not None]
    matched = sum((o.offender_id, o.last_visit_date) in completed for o in with_last)
    assert matched / len(with_last) >= 0.8
    outcomes = Counter(v.outcome.value for v in force_dataset.visits)
    assert outcomes["no_access"] and outcomes["cancelled"]


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 150),
    m=st.integers(2, 30),
    seed=st.integers(0, 2**32 - 1),
    start=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
)
def test_any_small_request_validates(n: int, m: int, seed: int, start: date) -> None:
    """Any size, seed and start date gives a folder that loads with no problems or warnings."""
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(Path(tmp), generate(n, m, seed, start))
        dataset = load_dataset(Path(tmp), today=start)
    assert len(dataset.offenders) == n and len(dataset.officers) == m
    assert dataset.warnings == ()
    assert all(v.date < start for v in dataset.visits)


def test_logged_visits_fit_the_crews_shifts(force: dict[str, str]) -> None:
    """Past visits start on weekdays, within the shifts of the officers who made them."""
    shift = {
        o["officer_id"]: (o["shift_start"], o["shift_end"]) for o in rows(force["officers.csv"])
    }
    visits = rows(force["visits.csv"])
    fits = 0
    for v in visits:
        assert date.fromisoformat(v["date"]).weekday() < 5
        h, m = map(int, v["start"].split(":"))
        end = f"{(h * 60 + m + 60) // 60:02d}:{(m + 60) % 60:02d}"
        fits += all(
            shift[i][0] <= v["start"] and end <= shift[i][1] for i in v["officer_ids"].split(";")
        )
    assert fits / len(visits) >= 0.95


def test_too_few_officers_or_people_is_refused() -> None:
    """Fewer than two officers or no people raises a GenerationError."""
    with pytest.raises(GenerationError, match="at least 2"):
        generate(10, 1, seed=1, start=START)
    with pytest.raises(GenerationError, match="at least 1"):
        generate(0, 4, seed=1, start=START)


def test_embedded_sample_is_valid_and_regenerable() -> None:
    """data/sample validates and is exactly what `generate(600, 14, 1, 2026-11-23)` writes."""
    dataset = load_dataset(SAMPLE_DIR, today=date(2026, 11, 27))
    assert len(dataset.offenders) == 600 and len(dataset.officers) == 14
    expected = generate(600, 14, seed=1, start=START)
    for name, text in expected.items():
        assert (SAMPLE_DIR / name).read_text(encoding="utf-8") == text, name


def test_cli_writes_folder_and_refuses_to_overwrite(tmp_path: Path) -> None:
    """`rso generate` writes owner-only files, refuses a non-empty folder, and --force overwrites."""
    out = tmp_path / "gen"
    args = ["generate", "--offenders", "120", "--officers", "6", "--seed", "5"]
    args += ["--start", "2026-11-02", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(FILE_NAMES)
    assert stat.S_IMODE((out / "offenders.csv").stat().st_mode) == 0o600
    load_dataset(out, today=date(2026, 11, 27))
    before = (out / "offenders.csv").read_bytes()

    again = CliRunner().invoke(main, [*args[:-2], "--seed", "6", "--out", str(out)])
    assert again.exit_code == 2
    assert "not empty" in again.output and "--force" in again.output
    assert (out / "offenders.csv").read_bytes() == before

    forced = CliRunner().invoke(main, [*args[:-2], "--seed", "6", "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (out / "offenders.csv").read_bytes() != before


def test_cli_bad_start_date_is_a_clear_error(tmp_path: Path) -> None:
    """A malformed --start gives a one-line message and writes nothing."""
    out = tmp_path / "gen"
    result = CliRunner().invoke(main, ["generate", "--start", "23/11/2026", "--out", str(out)])
    assert result.exit_code == 2
    assert "--start" in result.output and "YYYY-MM-DD" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_cli_as_of_in_the_future_is_refused(tmp_path: Path) -> None:
    """--as-of after today would log visits in the future, which every other command rejects."""
    out = tmp_path / "gen"
    future = (date.today() + timedelta(days=20)).isoformat()
    args = ["generate", "--offenders", "30", "--officers", "2", "--as-of", future]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 2
    assert "--as-of" in result.output and "after today" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_cli_start_too_early_for_the_history_is_refused(tmp_path: Path) -> None:
    """--start in 1901 would write registrations before 1900, which the validator refuses."""
    out = tmp_path / "gen"
    args = ["generate", "--start", "1901-01-01", "--as-of", "1900-12-31", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "too early" in result.output, result.output
    assert not out.exists()
