"""The gazetteer: each recognised layout, terminated and missing postcodes, the cached index."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from rso_scheduler.errors import InputError
from rso_scheduler.ingest import load_dataset
from rso_scheduler.input.gazetteer import open_gazetteer, sniff_layout

TODAY = date(2026, 11, 20)
OFFICERS = "officer_id,base_postcode\nOM01,RG1 8AA\n"


def folder(root: Path, gazetteer_name: str, offenders: str, officers: str = OFFICERS) -> Path:
    """A data folder whose locations are postcodes, with `[locations] gazetteer` set."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "offenders.csv").write_text(offenders, encoding="utf-8")
    (root / "officers.csv").write_text(officers, encoding="utf-8")
    (root / "policy.toml").write_text(f'[locations]\ngazetteer = "{gazetteer_name}"\n')
    return root


ONSPD = (
    "pcd,pcd2,pcds,dointr,doterm,oscty,lat,long,usertype\n"
    "RG1 1AA,RG1  1AA,RG1 1AA,198001,,E10000,51.454100,-0.971100,0\n"
    "RG1 8AA,RG1  8AA,RG1 8AA,198001,,E10000,51.456000,-0.971000,0\n"
    "RG4 5ZZ,RG4  5ZZ,RG4 5ZZ,198001,201902,E10000,51.480000,-0.960000,0\n"
    "RG9 9NN,RG9  9NN,RG9 9NN,198001,,E10000,99.999999,0.000000,0\n"
)


def test_onspd_layout_terminated_is_a_warning(tmp_path: Path) -> None:
    """ONSPD: postcodes match ignoring case and spaces; a terminated one is a located warning."""
    (tmp_path / "ONSPD.csv").write_text(ONSPD, encoding="utf-8")
    data = folder(
        tmp_path, "ONSPD.csv", "offender_id,risk_level,postcode\nA1,high,rg11aa\nA2,low,RG4 5ZZ\n"
    )
    ds = load_dataset(data, today=TODAY)
    assert (ds.offenders[0].lat, ds.offenders[0].lon) == (51.4541, -0.9711)
    assert ds.locations["offenders.csv"] == {
        "coordinates": 0,
        "postcode": 2,
        "uprn": 0,
        "terminated": 1,
    }
    assert any(
        "1 postcode(s) are terminated in the gazetteer (line(s) 3)" in w for w in ds.warnings
    )
    assert not any("RG4 5ZZ" in w or "RG45ZZ" in w for w in ds.warnings)


def test_onspd_postcode_without_a_grid_reference_is_unmatched(tmp_path: Path) -> None:
    """ONSPD's lat 99.999999 (no grid reference) is not a location: the row is a located error."""
    (tmp_path / "ONSPD.csv").write_text(ONSPD, encoding="utf-8")
    data = folder(tmp_path, "ONSPD.csv", "offender_id,risk_level,postcode\nA1,high,RG9 9NN\n")
    with pytest.raises(InputError) as info:
        load_dataset(data, today=TODAY)
    report = info.value.report()
    assert "offenders.csv:2 postcode: the postcode in RG9 (shown to its outward code)" in report
    assert "9NN" not in report


def test_code_point_open_folder_is_converted_from_the_national_grid(tmp_path: Path) -> None:
    """Code-Point Open (headerless, eastings/northings per area file) goes through pyproj."""
    cpo = tmp_path / "codepoint" / "Data" / "CSV"
    cpo.mkdir(parents=True)
    (cpo / "rg.csv").write_text(
        '"RG1 8AA",10,471500,173500,"E92000001","","E19000002","E10000","E07000","E05000"\n'
        '"RG1 1AA",10,471600,173400,"E92000001","","E19000002","E10000","E07000","E05000"\n',
        encoding="utf-8",
    )
    data = folder(tmp_path, "codepoint", "offender_id,risk_level,postcode\nA1,high,RG1 1AA\n")
    ds = load_dataset(data, today=TODAY)
    base = ds.officers[0]
    assert base.base_lat == pytest.approx(51.4555, abs=0.002)
    assert base.base_lon == pytest.approx(-0.9719, abs=0.003)
    assert sniff_layout(tmp_path / "codepoint", "codepoint").kind == "codepoint"


def test_plain_uprn_table(tmp_path: Path) -> None:
    """A plain uprn,latitude,longitude table places rows by UPRN (leading zeros ignored)."""
    (tmp_path / "uprn.csv").write_text(
        "UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE\n"
        "100023336956,471500,173500,51.4550,-0.9700\n310000001,1,1,51.4560,-0.9710\n",
        encoding="utf-8",
    )
    data = folder(
        tmp_path, "uprn.csv", "offender_id,risk_level,uprn\nA1,high,0100023336956\n",
        "officer_id,base_uprn\nOM01,310000001\n",
    )  # fmt: skip
    ds = load_dataset(data, today=TODAY)
    assert (ds.offenders[0].lat, ds.officers[0].base_lat) == (51.455, 51.456)
    assert ds.locations["offenders.csv"]["uprn"] == 1


def test_rows_with_coordinates_keep_them(tmp_path: Path) -> None:
    """A row with lat and lon uses them even when it also has a postcode."""
    (tmp_path / "g.csv").write_text(
        "postcode,lat,lon\nRG1 8AA,51.4560,-0.9710\nRG1 1AA,51.5,-0.9\n"
    )
    data = folder(
        tmp_path, "g.csv",
        "offender_id,risk_level,lat,lon,postcode\nA1,high,51.4541,-0.9711,RG1 1AA\nA2,low,,,RG1 1AA\n",
    )  # fmt: skip
    ds = load_dataset(data, today=TODAY)
    assert [o.lat for o in ds.offenders] == [51.4541, 51.5]
    assert ds.locations["offenders.csv"] == {
        "coordinates": 1,
        "postcode": 1,
        "uprn": 0,
        "terminated": 0,
    }


def test_the_index_is_rebuilt_when_the_gazetteer_changes(tmp_path: Path) -> None:
    """A changed gazetteer (new size, mtime, content) is indexed again; an unchanged one is not."""
    gaz = tmp_path / "g.csv"
    gaz.write_text("postcode,lat,lon\nRG1 8AA,51.4560,-0.9710\n")
    index, notes = open_gazetteer(gaz, "g.csv", tmp_path)
    index.close()
    assert notes and "indexed 1 postcodes" in notes[0]
    index, notes = open_gazetteer(gaz, "g.csv", tmp_path)
    assert notes == [] and index.postcodes(["RG18AA"]) == {"RG18AA": (51.456, -0.971, False)}
    index.close()
    gaz.write_text("postcode,lat,lon\nRG1 8AA,51.5000,-0.9000\nRG1 1AA,51.4,-0.9\n")
    os.utime(gaz, ns=(1, 1))
    index, notes = open_gazetteer(gaz, "g.csv", tmp_path)
    assert "indexed 2 postcodes" in notes[0]
    assert index.postcodes(["RG1 8AA"])["RG18AA"][:2] == (51.5, -0.9)
    index.close()


def test_a_gazetteer_that_is_a_fifo_is_a_located_error(tmp_path: Path) -> None:
    """The gazetteer goes through the same file checks as every input."""
    os.mkfifo(tmp_path / "g.csv")
    data = folder(tmp_path, "g.csv", "offender_id,risk_level,postcode\nA1,high,RG1 1AA\n")
    with pytest.raises(InputError) as info:
        load_dataset(data, today=TODAY)
    assert "g.csv: is a named pipe (FIFO), not a file" in info.value.report()


def test_an_index_folder_of_someone_else_is_never_written(tmp_path: Path) -> None:
    """With .rso-cache unusable (a file in its place) the index is built in memory, and said."""
    (tmp_path / ".rso-cache").write_text("not a folder")
    (tmp_path / "g.csv").write_text("postcode,lat,lon\nRG1 8AA,51.4560,-0.9710\n")
    index, notes = open_gazetteer(tmp_path / "g.csv", "g.csv", tmp_path)
    assert any("built in memory" in n for n in notes)
    assert index.postcodes(["RG18AA"])
    index.close()


def test_an_onspd_file_saved_with_a_bom_and_quoted_headers(tmp_path: Path) -> None:
    """A byte-order mark and quoted headers (as Excel and the ONS write them) are read."""
    quoted = "\n".join(
        ",".join(f'"{c}"' for c in line.split(",")) for line in ONSPD.strip().splitlines()
    )
    (tmp_path / "ONSPD.csv").write_bytes(b"\xef\xbb\xbf" + quoted.encode("utf-8") + b"\n")
    data = folder(tmp_path, "ONSPD.csv", "offender_id,risk_level,postcode\nA1,high,RG1 1AA\n")
    assert load_dataset(data, today=TODAY).offenders[0].lat == 51.4541
