"""The matrix travel model: a force's own travel.csv, by direction, with located errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from rso_scheduler.errors import InputError, PlanError
from rso_scheduler.geo import haversine_km
from rso_scheduler.policy import TravelPolicy, parse_policy
from rso_scheduler.travel import Place, build_travel
from rso_scheduler.travel_matrix import parse_matrix

# --- the matrix model ------------------------------------------------------------------

PLACES = [Place("B1", 51.45, -0.97), Place("P1", 51.46, -0.98), Place("P2", 51.47, -0.99)]


def _table(rows: list[str], header: str = "from_id,to_id,minutes,km") -> str:
    return "\n".join([header, *rows]) + "\n"


FULL = [
    "B1,P1,10,5.0",
    "P1,B1,12,6.0",
    "B1,P2,20,9.5",
    "P2,B1,21,9.5",
    "P1,P2,7,3.0",
    "P2,P1,8,3.5",
]


def test_matrix_model_answers_from_the_table_by_direction() -> None:
    """Minutes and km come from the table, each direction on its own row."""
    t = parse_matrix(_table(FULL), "travel.csv", PLACES, TravelPolicy())
    b1, p1, p2 = PLACES
    assert t.minutes(b1, p1) == 10 and t.minutes(p1, b1) == 12
    assert t.km(p2, p1) == pytest.approx(3.5)
    assert t.minutes(p1, p1) == 0
    assert t.matrix_min([p1, p2]) == [[0, 7], [8, 0]]
    assert t.record()["model"] == "matrix"


def test_matrix_model_without_km_says_km_are_estimated() -> None:
    """Without a km column km are the straight line x circuity, and the run is told."""
    rows = [r.rsplit(",", 1)[0] for r in FULL]
    t = parse_matrix(_table(rows, "From ID,To ID,Minutes"), "travel.csv", PLACES, TravelPolicy())
    b1, p1, _ = PLACES
    assert t.km(b1, p1) == pytest.approx(haversine_km(*b1.point, *p1.point) * 1.35, rel=1e-5)
    assert any("straight line" in n for n in t.notes)


def test_matrix_missing_pair_is_a_located_error_naming_the_ids() -> None:
    """A missing pair names both ids (never coordinates); a bad cell names line and column."""
    rows = [r for r in FULL if not r.startswith("P2,P1")] + ["B1,XX,5,1", "P1,XX,x,1"]
    with pytest.raises(InputError) as exc:
        parse_matrix(_table(rows), "travel.csv", PLACES, TravelPolicy())
    text = exc.value.report()
    assert "no row from P2 to P1" in text
    assert "travel.csv:8 minutes: 'x' is not a whole number" in text
    assert "51.4" not in text


def test_matrix_duplicate_rows_and_clashing_ids_are_errors() -> None:
    """A pair given twice, or an id both a person and an officer, is refused."""
    with pytest.raises(InputError) as exc:
        parse_matrix(_table([*FULL, "B1,P1,11,5"]), "travel.csv", PLACES, TravelPolicy())
    assert "given twice (first on line 2)" in exc.value.report()
    clash = [*PLACES, Place("P1", 52.0, -1.0)]
    with pytest.raises(InputError) as exc:
        parse_matrix(_table(FULL), "travel.csv", clash, TravelPolicy())
    assert "both an offender_id and an officer_id" in exc.value.report()


def test_matrix_model_refuses_unknown_places() -> None:
    """Asking about a place the table was not built for is an error, not a guess."""
    t = parse_matrix(_table(FULL), "travel.csv", PLACES, TravelPolicy())
    with pytest.raises(PlanError, match="not among the places"):
        t.minutes(PLACES[0], Place("P9", 51.0, -1.0))


def test_build_travel_reads_the_matrix_file_of_the_data_folder(tiny_dir: Path) -> None:
    """model = "matrix" reads `file` relative to the data folder; a missing file is located."""
    from rso_scheduler.ingest import load_dataset

    data = tiny_dir
    policy = parse_policy('[travel]\nmodel = "matrix"\nfile = "travel.csv"\n')
    ds = load_dataset(data, today=date(2026, 12, 1))
    with pytest.raises(InputError) as exc:
        build_travel(policy, ds, data)
    assert "travel.csv is not in the data folder" in exc.value.report()
    from rso_scheduler.travel import dataset_places

    places = dataset_places(ds)
    rows = [
        f"{a.id},{b.id},{i % 50},{(i % 50) / 2}"
        for i, (a, b) in enumerate((a, b) for a in places for b in places if a != b)
    ]
    (data / "travel.csv").write_text(_table(rows))
    t = build_travel(policy, ds, data)
    m = np.asarray(t.matrix_min(places))
    assert m.shape == (len(places), len(places)) and m.max() <= 49


def test_matrix_cells_are_masked_and_a_broken_csv_is_located() -> None:
    """A coordinate pasted into minutes is described, not echoed; an oversized cell is located."""
    rows = [r for r in FULL if not r.startswith("P2,P1")] + ["P2,P1,51.4550,-0.97"]
    with pytest.raises(InputError) as exc:
        parse_matrix(_table(rows), "travel.csv", PLACES, TravelPolicy())
    text = exc.value.report()
    assert "51.455" not in text and "-0.97" not in text
    assert "travel.csv:7 minutes: a number with 2 or more decimals" in text
    huge = [*FULL[:2], "B1,P2," + "9" * 140_000 + ",9.5", *FULL[3:]]
    with pytest.raises(InputError) as exc:
        parse_matrix(_table(huge), "travel.csv", PLACES, TravelPolicy())
    assert (
        "travel.csv:4: is not readable as CSV: field larger than field limit" in exc.value.report()
    )
