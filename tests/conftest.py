"""Shared fixtures: small named data folders written into tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# The same generated examples on every run, so that CI is a property of the code, not of the
# draw; `HYPOTHESIS_PROFILE=explore pytest ...` searches new examples (and finds new bugs).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"  # the bundled demo folder

TINY_OFFENDERS = """offender_id,risk_level,lat,lon,offender_manager_id,area,status,last_visit_date,registered_on,visit_interval_days,two_officers,window_start,window_end,required_skills
P001,very_high,51.4550,-0.9700,TV001,Reading,active,2026-11-01,2015-03-01,,,,,
P002,high,51.4600,-0.9800,TV001,Reading,active,2026-09-20,2016-05-10,,,,,
P003,medium,51.4400,-0.9500,TV002,Reading,active,2026-06-01,2018-01-01,,,17:30,20:30,
P004,low,51.4700,-1.0000,TV002,Reading,active,2025-12-15,2019-07-07,,false,,,
P005,low,51.4500,-0.9600,TV002,Reading,reactive,,2017-02-02,,,,,
P006,high,51.5100,-0.5900,TV003,Slough,active,2026-10-10,2014-04-04,,,,,polish
P007,medium,51.5000,-0.6000,TV003,Slough,custody,2025-01-01,2012-12-12,,,,,
P008,very_high,51.5200,-0.6100,TV003,Slough,active,,2026-12-01,7,,,,
"""

TINY_OFFICERS = """officer_id,name,base_lat,base_lon,area,working_days,shift_start,shift_end,max_visits_per_day,skills
TV001,Officer A,51.4560,-0.9710,Reading,Mon;Tue;Wed;Thu;Fri,08:00,16:00,,arms_trained
TV002,Officer B,51.4560,-0.9710,Reading,Mon;Tue;Wed;Thu;Fri,14:00,22:00,,female
TV003,Officer C,51.5110,-0.5950,Slough,Mon;Tue;Wed;Thu,08:00,16:00,4,polish
TV004,Officer D,51.5110,-0.5950,Slough,Mon;Tue;Wed;Thu;Fri,08:00,16:00,,
"""

TINY_ABSENCES = """officer_id,start,end,reason
TV004,2027-01-11,2027-01-15,leave
"""

TINY_VISITS = """offender_id,date,start,officer_ids,outcome,kind
P001,2026-11-01,10:00,TV001;TV002,completed,announced
P002,2026-09-20,11:00,TV001;TV002,completed,unannounced
P003,2026-10-01,18:00,TV001;TV002,no_access,unannounced
"""


@pytest.fixture(scope="session", autouse=True)
def _record_outside_the_repo(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every plan is recorded (record/store.py): tests that plan the bundled sample would
    otherwise write data/sample/.rso; tests of the default place unset RSO_RECORD."""
    os.environ["RSO_RECORD"] = str(tmp_path_factory.mktemp("record") / "record.sqlite")


def invoke_cli(*args: str) -> tuple[int, str]:
    """Run the CLI in process; (exit code, output). A crash (not an exit) fails the test."""
    from click.testing import CliRunner

    from rso_scheduler.cli import main

    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def write_data_dir(root: Path, **files: str) -> Path:
    """Write a data folder; keyword names are file stems (offenders=..., policy=...)."""
    root.mkdir(parents=True, exist_ok=True)
    for stem, text in files.items():
        name = "policy.toml" if stem == "policy" else f"{stem}.csv"
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """Eight people, four officers in two areas, one absence, a short visit log."""
    return write_data_dir(
        tmp_path / "tiny",
        offenders=TINY_OFFENDERS,
        officers=TINY_OFFICERS,
        absences=TINY_ABSENCES,
        visits=TINY_VISITS,
    )


@pytest.fixture
def planned(tiny_dir: Path, tmp_path: Path) -> Path:
    """A greedy plan of the tiny folder for January 2027 (through the CLI)."""
    from click.testing import CliRunner

    from rso_scheduler.cli import main

    out = tmp_path / "plan"
    args = ["plan", str(tiny_dir), "--month", "2027-01", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--solver", "greedy", "--no-maps", "--quiet"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def chromium_driver(tmp_path_factory: pytest.TempPathFactory):
    """One headless Chromium (no network) for the browser tests; skipped where it is absent."""
    import shutil

    from browser_helpers import chromium, have_chromium

    if not have_chromium():
        pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver")
    pytest.importorskip("selenium.webdriver")
    profile = tmp_path_factory.mktemp("chromium-profile")
    drv = chromium(profile)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)
