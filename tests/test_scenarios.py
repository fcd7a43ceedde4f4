"""Scenario files, dataset transforms, the rolling horizon and the capacity search."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from rso_scheduler.calendar import absences_by_officer, bank_holidays, days
from rso_scheduler.demand import requirements
from rso_scheduler.duty import officer_works
from rso_scheduler.errors import InputError, PolicyError, ScenarioError
from rso_scheduler.models import Dataset, Offender, Officer, RiskLevel
from rso_scheduler.policy import Policy
from rso_scheduler.scenario_report import capacity_html, comparison_html, comparison_rows
from rso_scheduler.scenarios import (
    RunOptions,
    Scenario,
    add_extra_absences,
    add_officers,
    apply_scenario,
    apportion,
    capacity_search,
    month_periods,
    parse_scenario,
    pick_officers_to_remove,
    record_plan,
    remove_officers,
    run_horizon,
    run_scenario,
    scale_officers,
)
from rso_scheduler.solver import PlanOptions, planner_for

STATIONS = {"Reading": (51.455, -0.970), "Slough": (51.511, -0.595), "Oxford": (51.752, -1.258)}
INTERVALS = {"very_high": 30, "high": 91, "medium": 182, "low": 365}
# The national mix (2016): 2% very high, 18% high, 30% medium, 50% low.
MIX = (
    [RiskLevel.very_high] * 2
    + [RiskLevel.high] * 18
    + [RiskLevel.medium] * 30
    + [RiskLevel.low] * 50
)
START = date(2027, 1, 1)
GREEDY = RunOptions(planner="greedy", time_limit_s=5, today=START - timedelta(days=1))
GREEDY_PLAN = PlanOptions(time_limit_s=5, seed=0)


def make_dataset(officers_per_area: dict[str, int], people: int, seed: int = 1) -> Dataset:
    """A team in steady state: last visits spread over each person's interval before 2027."""
    rng = random.Random(seed)
    officers: list[Officer] = []
    for area, n in officers_per_area.items():
        lat, lon = STATIONS[area]
        for _ in range(n):
            oid = f"TV{len(officers) + 1:03d}"
            officers.append(Officer(officer_id=oid, area=area, base_lat=lat, base_lon=lon))
    areas = list(officers_per_area)
    people_list = []
    for i in range(people):
        area = areas[i % len(areas)]
        lat, lon = STATIONS[area]
        risk = MIX[i % 100]
        manager = next(o.officer_id for o in officers if o.area == area)
        last = date(2026, 12, 31) - timedelta(days=rng.randint(1, INTERVALS[risk.value]))
        people_list.append(
            Offender(
                offender_id=f"P{i:04d}",
                risk_level=risk,
                lat=lat + rng.uniform(-0.05, 0.05),
                lon=lon + rng.uniform(-0.05, 0.05),
                area=area,
                offender_manager_id=manager,
                last_visit_date=last,
                registered_on=date(2015, 1, 1),
            )
        )
    return Dataset(offenders=tuple(people_list), officers=tuple(officers), policy=Policy())


def scenario(**kw: object) -> Scenario:
    """A scenario on an in-memory dataset (its data path is never read)."""
    base: dict[str, object] = {
        "name": "t",
        "data": Path("/nonexistent"),
        "start": START,
        "months": 2,
    }
    return Scenario.model_validate({**base, **kw})


@pytest.fixture
def team() -> Dataset:
    """Twenty officers in three areas (10/6/4) and 400 people in the national risk mix."""
    return make_dataset({"Reading": 10, "Slough": 6, "Oxford": 4}, 400)


# --- scenario files -------------------------------------------------------------------------

GOOD = """name = "Lose a fifth"
data = "../data/sample"
start = "2027-01-01"
months = 3
seed = 7

[officers]
remove_share = 0.2
extra_absence_share = 0.1

[caseload]
growth = 0.05

[policy]
risk.medium.interval_days = 120
"""


def test_parse_scenario_reads_every_table(tmp_path: Path) -> None:
    """A full scenario file parses; data resolves against the file's folder."""
    s = parse_scenario(GOOD, "lose.toml", tmp_path / "scenarios")
    assert s.name == "Lose a fifth" and s.months == 3 and s.seed == 7
    assert s.start == date(2027, 1, 1)
    assert s.data == tmp_path / "data" / "sample"
    assert s.officers.remove_share == 0.2 and s.caseload.growth == 0.05
    assert s.policy == {"risk": {"medium": {"interval_days": 120}}}


def test_default_start_is_next_month() -> None:
    """Without `start`, planning begins on the first day of next month."""
    s = parse_scenario('name = "x"\ndata = "/d"\n', "x.toml")
    assert s.plan_start(date(2026, 12, 15)) == date(2027, 1, 1)


BROKEN = [
    ('name = "x"\ndata = "/d"\nmonth = 3\n', 3, "month", "unknown key"),
    (
        'name = "x"\ndata = "/d"\n[officers]\nremove_shares = 0.2\n',
        4,
        "officers.remove_shares",
        "unknown key",
    ),
    ('name = "x"\ndata = "/d"\n[caseload]\ngrowth = "lots"\n', 4, "caseload.growth", "'lots'"),
    ('name = "x"\ndata = "/d"\nmonths = 0\n', 3, "months", "not valid"),
    (
        'name = "x"\ndata = "/d"\n\n[policy]\nrisk.medium.intervals = 120\n',
        5,
        "policy.risk.medium.intervals",
        "unknown key",
    ),
    (
        'name = "x"\ndata = "/d"\n[policy]\nrisk.severe.interval_days = 9\n',
        4,
        "policy.risk.severe",
        "unknown risk level",
    ),
    (
        'name = "x"\ndata = "/d"\n[officers]\nremove_share = 1.5\n',
        4,
        "officers.remove_share",
        "1.5",
    ),
    ('name = "x"\ndata = \n', 2, None, "not valid TOML"),
    ('name = "x"\ndata = "/d"\nfile = "y.toml"\n', 3, "file", "unknown key"),
]


@pytest.mark.parametrize(("text", "line", "key", "words"), BROKEN)
def test_broken_scenario_is_located(text: str, line: int, key: str | None, words: str) -> None:
    """Each broken scenario file gives a problem naming the file, line and key."""
    with pytest.raises(InputError) as info:
        parse_scenario(text, "bad.toml")
    [problem] = info.value.problems
    assert problem.file == "bad.toml"
    assert problem.line == line
    assert problem.column == key or (key is None and problem.column is None)
    assert words in problem.message


def test_missing_name_is_reported() -> None:
    """A scenario without a name says the key is required."""
    with pytest.raises(InputError) as info:
        parse_scenario('data = "/d"\n', "bad.toml")
    assert any(p.column == "name" and "required" in p.message for p in info.value.problems)


# --- transforms -----------------------------------------------------------------------------


def test_apportion_is_exact_and_proportional() -> None:
    """Largest-remainder split sums exactly and stays within one of each share."""
    weights = {"a": 10, "b": 6, "c": 4}
    for total in range(0, 21):
        split = apportion(total, weights)
        assert sum(split.values()) == total
        for k, w in weights.items():
            assert abs(split[k] - total * w / 20) < 1


def test_transforms_are_deterministic_for_a_seed(team: Dataset) -> None:
    """Same seed gives the same dataset; a different seed gives a different one."""
    kw = {
        "officers": {"remove_share": 0.2, "add": 2, "extra_absence_share": 0.1},
        "caseload": {"growth": 0.1},
    }
    end = month_periods(START, 2)[-1][1]
    a = apply_scenario(team, scenario(seed=3, **kw), START, end)
    b = apply_scenario(team, scenario(seed=3, **kw), START, end)
    c = apply_scenario(team, scenario(seed=4, **kw), START, end)
    assert a.officers == b.officers and a.offenders == b.offenders and a.absences == b.absences
    assert a.officers != c.officers or a.offenders != c.offenders


def test_remove_share_is_exact_and_proportional(team: Dataset) -> None:
    """remove_share 0.25 of 20 officers removes exactly 5, spread 3/1/1 over areas of 10/6/4."""
    out = apply_scenario(team, scenario(officers={"remove_share": 0.25}), START, START)
    assert len(out.officers) == 15
    before = Counter(o.area for o in team.officers)
    after = Counter(o.area for o in out.officers)
    removed = {a: before[a] - after[a] for a in before}
    assert removed == {"Reading": 3, "Slough": 1, "Oxford": 1}


def test_removed_officers_people_get_a_colleague_of_their_area(team: Dataset) -> None:
    """People of a removed manager move to a remaining officer of the same area."""
    gone = "TV001"  # the Reading manager of every Reading person in the fixture
    out = remove_officers(team, [gone])
    officers = out.officer_by_id()
    moved = [p for p in out.offenders if p.area == "Reading"]
    assert moved and all(p.offender_manager_id in officers for p in moved)
    assert all(officers[p.offender_manager_id].area == "Reading" for p in moved)  # type: ignore[index]
    # spread over colleagues (fewest people first), not all dumped on one
    assert len({p.offender_manager_id for p in moved}) > 1


def test_people_lose_their_manager_when_the_area_has_no_officer_left(team: Dataset) -> None:
    """Removing every officer of an area leaves its people with no named manager."""
    oxford = [o.officer_id for o in team.officers if o.area == "Oxford"]
    out = remove_officers(team, oxford)
    assert all(p.offender_manager_id is None for p in out.offenders if p.area == "Oxford")
    assert all(p.offender_manager_id is not None for p in out.offenders if p.area != "Oxford")


def test_removing_an_unknown_officer_is_an_error(team: Dataset) -> None:
    """`remove = [...]` with an id not in officers.csv names the id."""
    with pytest.raises(ScenarioError, match="XX999"):
        apply_scenario(team, scenario(officers={"remove": ["TV001", "XX999"]}), START, START)


def test_cannot_remove_every_officer(team: Dataset) -> None:
    """At least one officer must remain."""
    with pytest.raises(ScenarioError):
        pick_officers_to_remove(team, len(team.officers), 1)


def test_added_officers_follow_the_area_mix(team: Dataset) -> None:
    """add = 10 clones 5/3/2 officers with fresh ids, an area pattern and the area's station."""
    out = add_officers(team, 10, seed=1)
    new = out.officers[len(team.officers) :]
    assert len(new) == 10
    ids = [o.officer_id for o in out.officers]
    assert len(set(ids)) == len(ids)
    assert Counter(o.area for o in new) == {"Reading": 5, "Slough": 3, "Oxford": 2}
    for o in new:
        assert (o.base_lat, o.base_lon) == STATIONS[o.area]  # type: ignore[index]


def test_added_ids_never_clash(team: Dataset) -> None:
    """An existing officer already called SCN0001 does not get a twin."""
    clash = team.officers[0].model_copy(update={"officer_id": "SCN0001"})
    ds = team.model_copy(update={"officers": (clash, *team.officers[1:])})
    out = add_officers(ds, 3, seed=1)
    ids = [o.officer_id for o in out.officers]
    assert len(set(ids)) == len(ids) == len(ds.officers) + 3


def test_scale_officers_hits_the_target(team: Dataset) -> None:
    """Scaling to any count gives exactly that many officers."""
    for n in (1, 7, 20, 33):
        assert len(scale_officers(team, n, seed=2).officers) == n


def test_extra_absence_takes_the_share_of_working_days(team: Dataset) -> None:
    """extra_absence_share 0.2 removes 20% (rounded) of each officer's working days."""
    a, b = date(2027, 3, 1), date(2027, 3, 31)
    out = add_extra_absences(team, 0.2, a, b, seed=5)
    hols = bank_holidays(a, b)
    before = absences_by_officer(team.absences)
    after = absences_by_officer(out.absences)
    for o in team.officers:
        work = [d for d in days(a, b) if officer_works(o, d, before, hols)]
        still = [d for d in days(a, b) if officer_works(o, d, after, hols)]
        assert len(work) - len(still) == round(0.2 * len(work))


def test_growth_keeps_the_risk_and_area_mix(team: Dataset) -> None:
    """growth 0.1 adds 40 people in the same risk and area proportions, near existing homes."""
    out = apply_scenario(team, scenario(caseload={"growth": 0.1}), START, START)
    new = out.offenders[len(team.offenders) :]
    assert len(new) == 40
    ids = [p.offender_id for p in out.offenders]
    assert len(set(ids)) == len(ids)
    mix_before = Counter(p.risk_level for p in team.offenders)
    mix_new = Counter(p.risk_level for p in new)
    for level, n in mix_before.items():
        assert abs(mix_new[level] - 0.1 * n) <= 1.5  # within rounding of each stratum
    for p in new:
        lat, lon = STATIONS[p.area]  # type: ignore[index]
        assert abs(p.lat - lat) < 0.1 and abs(p.lon - lon) < 0.15
        assert p.last_visit_date is None or p.last_visit_date < START


def test_negative_growth_removes_people(team: Dataset) -> None:
    """growth -0.25 leaves three quarters of the caseload."""
    out = apply_scenario(team, scenario(caseload={"growth": -0.25}), START, START)
    assert len(out.offenders) == 300


def test_policy_override_is_applied(team: Dataset) -> None:
    """[policy] risk.medium.interval_days changes the medium interval and hence what is owed."""
    s = scenario(policy={"risk": {"medium": {"interval_days": 60}}})
    out = apply_scenario(team, s, START, START)
    assert out.policy.risk["medium"].interval_days == 60
    end = date(2027, 1, 31)
    medium = lambda ds: sum(  # noqa: E731
        1
        for r in requirements(ds, START, end, include_optional=False)
        if r.risk_level is RiskLevel.medium
    )
    assert medium(out) > medium(team)


def test_bad_policy_override_on_a_built_scenario_is_a_policy_error(team: Dataset) -> None:
    """A scenario built in code with a wrong policy key raises PolicyError naming the key."""
    with pytest.raises(PolicyError) as info:
        apply_scenario(team, scenario(policy={"risk.medium.interval": 3}), START, START)
    assert "policy.risk.medium.interval" in info.value.report()


# --- rolling horizon ------------------------------------------------------------------------


def _short_team() -> Dataset:
    """Two officers (one crew) and 300 people, half of them overdue: capacity-short."""
    ds = make_dataset({"Reading": 2}, 300)
    overdue = tuple(
        p.model_copy(update={"last_visit_date": date(2025, 6, 1)}) if i % 2 == 0 else p
        for i, p in enumerate(ds.offenders)
    )
    return ds.model_copy(update={"offenders": overdue})


def test_missed_visit_is_still_owed_next_month() -> None:
    """A visit missed in month 1 is owed from the first day of month 2 with its old due date."""
    ds = _short_team()
    plan = planner_for("greedy")
    (a1, b1), (a2, b2) = month_periods(START, 2)
    res = plan(ds, a1, b1, GREEDY_PLAN)
    assert res.unscheduled, "the instance must be capacity-short"
    after = record_plan(ds, res)
    owed = {r.offender_id: r for r in requirements(after, a2, b2)}
    for u in res.unscheduled:
        assert u.offender_id in owed
        assert owed[u.offender_id].first_due == u.due_date < a2


def test_visit_made_is_not_owed_again_until_its_interval() -> None:
    """A low-risk visit made in month 1 is not owed in month 2 (its interval is a year)."""
    ds = _short_team()
    plan = planner_for("greedy")
    (a1, b1), (a2, b2) = month_periods(START, 2)
    res = plan(ds, a1, b1, GREEDY_PLAN)
    after = record_plan(ds, res)
    owed = {r.offender_id for r in requirements(after, a2, b2, include_optional=False)}
    low_done = [v.offender_id for v in res.visits if v.risk_level is RiskLevel.low]
    assert low_done
    assert not owed & set(low_done)
    # and the history now holds them as completed visits
    assert len(after.visits) == len(ds.visits) + len(res.visits)


def test_backlog_carries_over_in_the_horizon() -> None:
    """Month 2 of a short team starts with month 1's misses, so it has late visits."""
    months = run_horizon(_short_team(), START, 2, GREEDY)
    assert months[0].missed > 0
    assert months[1].late + months[1].missed >= months[0].missed
    for m in months:
        assert m.visits_due == m.on_time + m.late + m.missed
        assert 0 < m.utilisation <= 1


def test_fewer_officers_miss_more() -> None:
    """On a capacity-short instance, losing 80% of officers markedly raises missed or late visits."""
    team = make_dataset({"Reading": 10, "Slough": 6, "Oxford": 4}, 1500)
    base = run_scenario(scenario(), GREEDY, dataset=team)
    short = run_scenario(scenario(officers={"remove_share": 0.8}), GREEDY, dataset=team)
    assert short.officers == 4
    bad = lambda r: r.total("missed") * 30 + r.total("late_days")  # noqa: E731
    assert bad(short) > 2 * bad(base) + 10
    assert short.total("risk_weighted_missed") >= short.total("missed")


def test_capacity_search_finds_a_verified_minimum() -> None:
    """The answer is enough, the count below it is not, and the curve is sorted by officers."""
    ds = make_dataset({"Reading": 4, "Slough": 3, "Oxford": 2}, 600)
    res = capacity_search(scenario(), ds, GREEDY, min_officers=2, max_officers=30)
    assert res.answer is not None
    by_n = {p.officers: p for p in res.points}
    assert by_n[res.answer].enough
    if res.answer > 2:
        assert not by_n[res.answer - 1].enough
    assert [p.officers for p in res.points] == sorted(by_n)
    # fewer officers never come out with fewer late days than the answer here
    assert by_n[min(by_n)].late_days >= by_n[res.answer].late_days


def test_capacity_search_reports_when_not_reached() -> None:
    """With too low a maximum the answer is None rather than a wrong count."""
    ds = _short_team()
    res = capacity_search(scenario(months=1), ds, GREEDY, min_officers=1, max_officers=3)
    assert res.answer is None
    assert all(not p.enough for p in res.points)


# --- HTML -----------------------------------------------------------------------------------


def test_html_is_escaped_and_self_contained(team: Dataset) -> None:
    """Scenario names are escaped; the pages carry a CSP and load nothing external."""
    r = run_scenario(scenario(name='<script>alert("x")</script>', months=1), GREEDY, dataset=team)
    page = comparison_html([r])
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Content-Security-Policy" in page
    assert "http://" not in page.replace('http-equiv="Content-Security-Policy"', "")
    assert "https://" not in page and "<svg" in page
    row = comparison_rows([r])[0]
    assert row[0] == r.name and row[3] == 1
    cap = capacity_search(scenario(months=1), team, GREEDY, min_officers=18, max_officers=20)
    cpage = capacity_html(cap)
    assert "<svg" in cpage and "https://" not in cpage


def test_optimised_planner_runs_the_horizon(tiny_dir: Path) -> None:
    """The optimiser plugs into the rolling horizon; its figures add up like the greedy's."""
    from rso_scheduler.ingest import load_dataset

    ds = load_dataset(tiny_dir, today=date(2026, 12, 15))
    opts = RunOptions(planner="optimised", time_limit_s=2, workers=1, today=date(2026, 12, 15))
    months = run_horizon(ds, START, 2, opts)
    assert len(months) == 2
    for m in months:
        assert m.visits_due == m.on_time + m.late + m.missed
        assert m.visits_due > 0 and m.travel_minutes > 0


def test_allowed_late_days_never_asks_for_more_officers() -> None:
    """Allowing some avoidable late days gives an answer no larger than allowing none."""
    ds = make_dataset({"Reading": 4, "Slough": 3, "Oxford": 2}, 600)
    strict = capacity_search(
        scenario(), ds, GREEDY, min_officers=2, max_officers=30, allowed_late_days=0
    )
    loose = capacity_search(
        scenario(), ds, GREEDY, min_officers=2, max_officers=30, allowed_late_days=10_000
    )
    assert strict.answer is not None and loose.answer is not None
    assert loose.answer <= strict.answer
    assert all(p.enough == (p.avoidable_missed == 0) for p in loose.points)


def test_capacity_search_in_two_processes_agrees() -> None:
    """Trying two counts per round finds the same answer, with the same figures per count."""
    ds = make_dataset({"Reading": 4, "Slough": 3, "Oxford": 2}, 600)
    one = capacity_search(scenario(), ds, GREEDY, min_officers=2, max_officers=30)
    two = capacity_search(scenario(), ds, GREEDY, min_officers=2, max_officers=30, jobs=2)
    assert two.answer == one.answer
    a = {p.officers: p for p in one.points}
    b = {p.officers: p for p in two.points}
    assert all(a[n] == b[n] for n in a.keys() & b.keys())
    assert two.answer is not None and b[two.answer].enough
    assert not any(p.enough for p in two.points if p.officers < two.answer)


def test_scenario_name_holding_a_coordinate_is_refused() -> None:
    """A scenario name is printed everywhere, so one that may hold a coordinate is refused, masked."""
    from rso_scheduler.errors import InputError
    from rso_scheduler.scenario_file import parse_scenario

    with pytest.raises(InputError) as info:
        parse_scenario('name = "Station at 51.4550"\ndata = "/d"\n')
    report = info.value.report()
    assert "s.toml" not in report and "51.4550" not in report
    assert "scenario.toml:1 name:" in report and "may be coordinates" in report
