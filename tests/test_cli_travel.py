"""End to end with road travel: generate data, lay a synthetic extract under it, plan, check."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from rso_scheduler.synth_roads import grid_extract


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def _bbox(data: Path) -> tuple[float, float, float, float]:
    lats: list[float] = []
    lons: list[float] = []
    with (data / "offenders.csv").open() as fh:
        for r in csv.DictReader(fh):
            lats.append(float(r["lat"]))
            lons.append(float(r["lon"]))
    with (data / "officers.csv").open() as fh:
        for r in csv.DictReader(fh):
            lats.append(float(r["base_lat"]))
            lons.append(float(r["base_lon"]))
    return min(lats) - 0.02, min(lons) - 0.03, max(lats) + 0.02, max(lons) + 0.03


def _use_road(data: Path, network: str = "roads.osm.pbf", extra: str = "") -> None:
    text = (data / "policy.toml").read_text()
    text = re.sub(
        r'model = "haversine".*\n', f'model = "road"\nnetwork = "{network}"\n{extra}', text
    )
    (data / "policy.toml").write_text(text)


@pytest.fixture(scope="module")
def road_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated team of 60 people on a 400 m street grid with a river and one bridge."""
    data = tmp_path_factory.mktemp("road") / "data"
    code, out = run(
        "generate", "--offenders", "60", "--officers", "6", "--seed", "3",
        "--start", "2027-01-01", "--as-of", "2026-11-30", "--out", str(data),
    )  # fmt: skip
    assert code == 0, out
    south, west, north, east = _bbox(data)
    counts = grid_extract(data / "roads.osm.pbf", south, west, north, east, 400.0)
    # a second extract: the same grid cut by a river through the middle, one bridge at the east
    grid_extract(
        data / "river.osm.pbf", south, west, north, east, 400.0,
        river_row=counts["rows"] // 2, bridge_col=counts["cols"] - 1,
    )  # fmt: skip
    _use_road(data)
    return data


@pytest.mark.parametrize("solver", ["greedy", "optimised"])
def test_plan_with_road_model_passes_the_checker(
    road_data: Path, tmp_path: Path, solver: str
) -> None:
    """`rso plan` on the road model writes a roster the independent checker accepts."""
    out = tmp_path / "out"
    code, text = run(
        "plan", str(road_data), "--month", "2027-01", "--out", str(out), "--solver", solver,
        "--time-limit", "10", "--no-maps", "-q",
    )  # fmt: skip
    assert code == 0, text
    assert "Check: no violations." in text and "(by road)" in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["travel"]["model"] == "road" and summary["travel"]["straight_line_pairs"] == 0
    assert summary["visits_planned"] > 0
    run_record = json.loads((out / "run.json").read_text())
    assert run_record["travel"]["source_sha256"] == summary["travel"]["source_sha256"]
    code, text = run("check", str(road_data), str(out))
    assert code == 0, text


def test_checker_catches_a_roster_timed_by_the_wrong_model(road_data: Path, tmp_path: Path) -> None:
    """Planned on the plain grid, checked against the river extract: travel rules break
    (crossings take the detour) and the check says the extract has changed."""
    out = tmp_path / "out"
    code, text = run(
        "plan", str(road_data), "--month", "2027-01", "--out", str(out), "--solver", "greedy",
        "--no-maps", "-q",
    )  # fmt: skip
    assert code == 0, text
    river = tmp_path / "river-data"
    river.mkdir()
    for f in road_data.iterdir():
        if f.is_file():
            (river / f.name).write_bytes(f.read_bytes())
    (river / "roads.osm.pbf").write_bytes((road_data / "river.osm.pbf").read_bytes())
    code, text = run("check", str(river), str(out))
    assert code == 1
    assert "roads.osm.pbf has changed since the plan was made" in text
    assert re.search(r"\[travel_(between|from_base|to_base)\]", text)


def test_plan_on_the_river_extract_takes_the_bridge(road_data: Path, tmp_path: Path) -> None:
    """Planned on the river extract, the roster passes its check and crossings cost the detour."""
    data = tmp_path / "river-data"
    data.mkdir()
    for f in road_data.iterdir():
        if f.is_file():
            (data / f.name).write_bytes(f.read_bytes())
    text = (data / "policy.toml").read_text().replace("roads.osm.pbf", "river.osm.pbf")
    (data / "policy.toml").write_text(text)
    out = tmp_path / "out"
    code, text = run(
        "plan", str(data), "--month", "2027-01", "--out", str(out), "--solver", "greedy", "-q"
    )
    assert code == 0, text
    assert "Check: no violations." in text
    assert (out / "maps" / "index.html").is_file()
    code, text = run("travel", str(data), "--json", "--pairs", "300", "-q")
    assert code == 0, text
    report = json.loads(text)
    grid = json.loads(run("travel", str(road_data), "--json", "--pairs", "300", "-q")[1])
    # same journeys, same places: over the river some take the long way round, never shorter
    pairs = list(zip(grid["sample"], report["sample"], strict=True))
    assert all(g["model_min"] <= r["model_min"] for g, r in pairs)
    assert any(r["model_min"] > 2 * g["model_min"] + 5 for g, r in pairs)


def test_travel_command_reports_coverage_and_fit(road_data: Path) -> None:
    """`rso travel`: coverage figures for homes and bases, the sample, and a fitted line."""
    code, text = run("travel", str(road_data), "--pairs", "80", "-q")
    assert code == 0, text
    assert "homes" in text and "bases" in text and "Best straight-line fit" in text
    report = json.loads(run("travel", str(road_data), "--json", "--pairs", "80", "-q")[1])
    assert report["coverage"]["homes"]["count"] == 60
    assert report["coverage"]["homes"]["snap_m"]["max"] <= 400
    fit = report["fit"]
    assert 1.0 < fit["circuity"] < 2.0 and 20 < fit["speed_kmh"] < 120
    assert not re.search(r"\b51\.\d{3}", text)  # no coordinates on the terminal
    again = json.loads(run("travel", str(road_data), "--json", "--pairs", "80", "-q")[1])
    assert again["sample"] == report["sample"]  # deterministic sample


def test_travel_command_needs_a_network_with_the_straight_line(tiny_dir: Path) -> None:
    """With the haversine policy and no --network there is nothing to compare: exit 2."""
    code, text = run("travel", str(tiny_dir), "-q")
    assert code == 2 and "--network" in text


def test_road_policy_without_its_extract_is_a_located_error(tiny_dir: Path, tmp_path: Path) -> None:
    """A road policy naming a missing extract: exit 2, located, nothing written."""
    (tiny_dir / "policy.toml").write_text('[travel]\nmodel = "road"\nnetwork = "gone.osm.pbf"\n')
    out = tmp_path / "out"
    code, text = run("plan", str(tiny_dir), "--month", "2027-01", "--out", str(out), "-q")
    assert code == 2
    assert "travel.network: gone.osm.pbf is not in the data folder" in text
    assert not out.exists()


def test_scenarios_plan_on_the_road_model_with_one_matrix_per_scenario(
    road_data: Path, tmp_path: Path
) -> None:
    """`rso scenario run` on road data: each scenario builds its travel once (growth: new points)."""
    base = tmp_path / "base.toml"
    base.write_text(
        f'name = "today"\ndata = "{road_data}"\nstart = "2027-01-01"\nmonths = 2\nseed = 1\n'
    )
    grow = tmp_path / "grow.toml"
    grow.write_text(
        f'name = "more people"\ndata = "{road_data}"\nstart = "2027-01-01"\nmonths = 1\n'
        "seed = 1\n[caseload]\ngrowth = 0.1\n"
    )
    out = tmp_path / "out"
    code, text = run(
        "scenario", "run", str(base), str(grow), "--out", str(out), "--planner", "greedy",
        "--jobs", "1", "-q",
    )  # fmt: skip
    assert code == 0, text
    rows = list(csv.DictReader((out / "comparison.csv").open()))
    assert [r["scenario"] for r in rows] == ["today", "more people"]
    assert all(int(r["travel_minutes"]) > 0 for r in rows)


def test_homes_off_the_extract_fall_back_to_the_straight_line_loudly(
    road_data: Path, tmp_path: Path
) -> None:
    """An extract covering only the south: northern homes use the straight line, which the
    terminal, summary.json and run.json say (counts and ids, never coordinates)."""
    data = tmp_path / "part"
    data.mkdir()
    for f in road_data.iterdir():
        if f.is_file():
            (data / f.name).write_bytes(f.read_bytes())
    south, west, north, east = _bbox(road_data)
    grid_extract(data / "roads.osm.pbf", south, west, south + (north - south) * 0.4, east, 400.0)
    out = tmp_path / "out"
    code, text = run(
        "plan", str(data), "--month", "2027-01", "--out", str(out), "--solver", "greedy",
        "--no-maps",
    )  # fmt: skip
    assert code == 0, text
    assert "warning: road travel:" in text and "use the straight-line model" in text
    assert "journeys not joined by road use the straight line" in text
    assert not re.search(r"\b51\.\d{3}", text)
    for name in ("summary.json", "run.json"):
        rec = json.loads((out / name).read_text())["travel"]
        assert rec["straight_line_pairs"] > 0 and rec["points_off_network"] > 0
        assert rec["notes"] and rec["cut_off_ids"]


def test_replan_on_the_road_model_passes_the_checker(road_data: Path, tmp_path: Path) -> None:
    """`rso replan` of a road-timed roster uses the same road model and passes the checker."""
    issued = tmp_path / "issued"
    code, text = run(
        "plan", str(road_data), "--month", "2027-01", "--out", str(issued), "--solver", "greedy",
        "--no-maps", "-q", "--today", "2026-12-01",
    )  # fmt: skip
    assert code == 0, text
    out = tmp_path / "replan"
    code, text = run(
        "replan", str(issued), str(road_data), "--from", "2027-01-12", "--today", "2026-12-01",
        "--out", str(out), "--time-limit", "10", "-q",
    )  # fmt: skip
    assert code == 0, text
    assert json.loads((out / "summary.json").read_text())["travel"]["model"] == "road"
    code, text = run("check", str(road_data), str(out))
    assert code == 0, text
