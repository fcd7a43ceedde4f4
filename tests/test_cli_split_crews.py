"""End to end: a day that needs split crews, through `rso plan` and `rso check`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.conftest import invoke_cli, write_data_dir

OFFENDERS = """offender_id,risk_level,lat,lon,offender_manager_id,area,status,last_visit_date,registered_on,visit_interval_days,two_officers,window_start,window_end,required_skills
A0,very_high,51.4600,-0.9800,,Reading,active,2026-06-01,2015-03-01,,true,14:30,17:30,polish
E0,medium,51.4650,-0.9750,,Reading,active,2026-06-01,2016-05-10,,true,19:00,21:00,
"""

OFFICERS = """officer_id,name,base_lat,base_lon,area,working_days,shift_start,shift_end,max_visits_per_day,skills
D1,Officer D,51.4560,-0.9710,Reading,Mon;Tue;Wed;Thu;Fri,10:00,18:00,,polish
L1,Officer L,51.4560,-0.9710,Reading,Mon;Tue;Wed;Thu;Fri,14:00,22:00,,
L2,Officer M,51.4560,-0.9710,Reading,Mon;Tue;Wed;Thu;Fri,14:00,22:00,,
"""


def test_split_day_plans_and_checks(tmp_path: Path) -> None:
    """Both visits are made, L1 has two crew_ids that day, every output is written and
    `rso check` passes; L1's day sheet lists the afternoon visit before the evening one."""
    data = write_data_dir(tmp_path / "data", offenders=OFFENDERS, officers=OFFICERS)
    out = tmp_path / "out"
    code, text = invoke_cli(
        "plan", str(data), "--start", "2027-01-04", "--end", "2027-01-04",
        "--today", "2027-01-03", "--out", str(out), "--time-limit", "5", "--quiet",
    )  # fmt: skip
    assert code == 0, text
    rows = list(csv.DictReader(io.StringIO((out / "roster.csv").read_text(encoding="utf-8"))))
    crews = {r["offender_id"]: r["crew_id"] for r in rows}
    assert crews == {"A0": "D1+L1", "E0": "L1+L2"}
    sheet = (out / "day_sheets" / "L1.csv").read_text(encoding="utf-8")
    assert sheet.index("A0") < sheet.index("E0")
    assert (out / "maps").is_dir() and (out / "calendar" / "L1.ics").is_file()
    code, text = invoke_cli("check", str(data), str(out), "--today", "2027-01-03")
    assert code == 0, text
