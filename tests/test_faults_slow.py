"""The fault-and-race suite: real processes, real signals, a real full disk (slow; about 2 min).

Every test runs the command line as a separate process on a generated team (200 people, 8
officers) and checks what the tool promises under the fault (README, "What the tool promises
under each fault"): the exit code, the words, and what is left on disk.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PLAN = ["--month", "2027-01", "--no-pull-forward", "--today", "2026-12-31"]
WAIT_S = 120  # a bound on any one process, far above what it needs: a hang fails, not blocks

# Runs the command line with one function of the tool replaced (argv[1]: python to exec first).
_WRAPPED = """
import sys
exec(sys.argv[1])
sys.argv = ["rso", *sys.argv[2:]]
from rso_scheduler.cli import main
main()
"""


def rso(*args: str, patch: str | None = None, **popen: object) -> subprocess.Popen[str]:
    """Start `rso ARGS...` (with `patch`, python run first in the process)."""
    cmd = [sys.executable, "-c", _WRAPPED, patch or "", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(cmd, env=env, cwd=ROOT, text=True, **popen)  # type: ignore[call-overload]


def run(*args: str, patch: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `rso ARGS...` to its end."""
    proc = rso(*args, patch=patch, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=WAIT_S)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (but the lock file) and its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".rso-lock"
    }


def wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    """Until `path` exists (the process under test got there); fails if the process ends first."""
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        assert proc.poll() is None, f"ended ({proc.returncode}) before {path.name}"
        assert time.monotonic() < deadline, f"no {path.name}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated team: 200 people, 8 officers, data up to the end of 2026."""
    data = tmp_path_factory.mktemp("team") / "data"
    done = run(
        "generate", "--offenders", "200", "--officers", "8", "--seed", "3",
        "--start", "2027-01-01", "--today", "2026-12-31", "--out", str(data), "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return data


@pytest.fixture(scope="module")
def baseline(team: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole plan folder of the team (greedy, with maps): the previous outputs."""
    out = tmp_path_factory.mktemp("baseline") / "out"
    done = run("plan", str(team), *PLAN, "--solver", "greedy", "--out", str(out), "-q")
    assert done.returncode == 0 and "Check: no violations" in done.stdout, done.stderr
    return out


@pytest.fixture
def previous(baseline: Path, tmp_path: Path) -> Path:
    """A copy of the baseline plan folder to run into."""
    out = tmp_path / "out"
    shutil.copytree(baseline, out)
    return out


def assert_checks(team: Path, out: Path) -> None:
    """`rso check` passes the folder: one whole, consistent set."""
    done = run("check", str(team), str(out))
    assert done.returncode == 0, done.stdout + done.stderr


# --- signals at many moments of a plan -----------------------------------------------------------

MOMENTS = [
    ("assignment round 1", signal.SIGINT),  # in CP-SAT's search
    ("visits routed", signal.SIGTERM),  # after routing: the tool's own code
    ("re-making clusters", signal.SIGINT),  # the local search
    ("writing ", signal.SIGTERM),  # the roster files being written
    ("drawing maps", signal.SIGINT),
    ("checking the written roster", signal.SIGTERM),  # after the swap
]


@pytest.mark.parametrize(("moment", "signum"), MOMENTS, ids=[m for m, _ in MOMENTS])
def test_a_signal_at_any_moment_of_a_plan(
    team: Path, previous: Path, moment: str, signum: int
) -> None:
    """A signal stops the plan in seconds with 130/143; the folder holds one whole set, and the
    message says which (the previous one, or the new one unchecked)."""
    before = snapshot(previous)
    proc = rso(
        "plan", str(team), *PLAN, "--time-limit", "4", "--seed", "9", "--out", str(previous),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    lines = []
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line)
        if moment in line:
            proc.send_signal(signum)
            break
    else:
        pytest.fail(f"the plan never reached {moment!r}: {''.join(lines)}")
    out, err = proc.communicate(timeout=20)  # stops within seconds
    err = "".join(lines) + err
    assert "Traceback" not in err and "internal error" not in err
    if moment == "checking the written roster" and proc.returncode == 0:
        assert "Check: no violations" in out  # the check ended before the signal came
    else:
        assert proc.returncode == 128 + signum, err
    if "nothing was written" in err:
        assert snapshot(previous) == before  # the previous outputs, byte for byte
    else:
        assert moment in ("drawing maps", "checking the written roster"), err
        if proc.returncode:
            assert "put in place" in err and "not checked" in err
        assert snapshot(previous) != before
    assert not [p for p in previous.iterdir() if p.name.startswith((".rso-staging", ".rso-old"))]
    assert_checks(team, previous)


# --- a concurrent writer, a slowed rename, a reader racing a writer ----------------------------

# Each move of the swap waits 0.4 s, and the first one leaves a flag file for the test.
_SLOW_SWAP = """
import os, time
from pathlib import Path
import rso_scheduler.outputs.files as files
real = files._Swap._move
flag = Path(os.environ["RSO_TEST_FLAG"])
def slow(self, src, dst):
    flag.touch()
    time.sleep(0.4)
    real(self, src, dst)
files._Swap._move = slow
"""


def _slow_writer(team: Path, out: Path, flag: Path, seed: str) -> subprocess.Popen[str]:
    os.environ["RSO_TEST_FLAG"] = str(flag)
    try:
        return rso(
            "plan", str(team), *PLAN, "--solver", "greedy", "--seed", seed, "--out", str(out),
            "-q", patch=_SLOW_SWAP, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
    finally:
        del os.environ["RSO_TEST_FLAG"]


def test_two_plans_into_one_folder_take_turns(team: Path, previous: Path, tmp_path: Path) -> None:
    """A second plan started during the first one's (slowed) swap waits its turn: both whole,
    both checked, the manifest kept, the folder ends as the second plan."""
    flag = tmp_path / "swapping"
    first = _slow_writer(team, previous, flag, "1")
    wait_for(flag, first)
    second = run("plan", str(team), *PLAN, "--solver", "greedy", "--seed", "2", "--out", str(previous), "-q")  # fmt: skip
    out, err = first.communicate(timeout=WAIT_S)
    assert first.returncode == 0 and "Check: no violations" in out, err
    assert second.returncode == 0 and "Check: no violations" in second.stdout, second.stderr
    assert '"seed": 2' in (previous / "run.json").read_text()
    assert (previous / ".rso-manifest.json").is_file()
    assert_checks(team, previous)


def test_readers_racing_a_slowed_swap_see_one_whole_set(
    team: Path, previous: Path, tmp_path: Path
) -> None:
    """`rso check`, `rso report --roster` started during a slowed swap wait and read the new set."""
    flag = tmp_path / "swapping"
    writer = _slow_writer(team, previous, flag, "4")
    wait_for(flag, writer)
    readers = [
        rso("check", str(team), str(previous), stdout=subprocess.PIPE, stderr=subprocess.PIPE),
        rso(
            "report", "compliance", str(team), "--as-of", "2027-01-31", "--today", "2027-01-31",
            "--roster",
            str(previous), "--out", str(tmp_path / "report"), "-q",
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        ),
    ]  # fmt: skip
    assert writer.poll() is None  # the readers began while the swap was going on
    for proc in readers:
        out, err = proc.communicate(timeout=WAIT_S)
        assert proc.returncode == 0, out + err
        assert "violation" not in (out + err).replace("no violations", "")
    writer.communicate(timeout=WAIT_S)
    assert writer.returncode == 0


# After the map has read the roster (loading the data): a flag for the test, then wait until
# the test says a plan replaced the roster.
_SLOW_MAP = """
import os, time
from pathlib import Path
import rso_scheduler.ingest as ingest
real = ingest.load_dataset
def slow(*args, **kwargs):
    Path(os.environ["RSO_TEST_FLAG"]).touch()
    go = Path(os.environ["RSO_TEST_GO"])
    while not go.exists():
        time.sleep(0.05)
    return real(*args, **kwargs)
ingest.load_dataset = slow
"""


def test_map_refuses_to_swap_over_a_roster_replaced_meanwhile(
    team: Path, previous: Path, tmp_path: Path
) -> None:
    """`rso map` racing a new plan: refused (exit 1), the new plan's maps and roster kept."""
    flag, go = tmp_path / "drawing", tmp_path / "go"
    os.environ.update(RSO_TEST_FLAG=str(flag), RSO_TEST_GO=str(go))
    try:
        drawer = rso(
            "map", str(previous), "-q", patch=_SLOW_MAP,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
    finally:
        del os.environ["RSO_TEST_FLAG"], os.environ["RSO_TEST_GO"]
    wait_for(flag, drawer)
    # bank holidays worked: another roster than the one the map read
    replan = run("plan", str(team), *PLAN, "--solver", "greedy", "--work-bank-holidays", "--out", str(previous), "-q")  # fmt: skip
    assert replan.returncode == 0, replan.stderr
    after_plan = snapshot(previous)
    go.touch()
    out, err = drawer.communicate(timeout=WAIT_S)
    assert drawer.returncode == 1 and "roster.csv" in err and "changed while" in err, err
    assert snapshot(previous) == after_plan
    done = run("check", str(team), str(previous))
    assert done.returncode == 0, done.stdout + done.stderr


# --- a full disk (a small tmpfs; needs root) ---------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MB tmpfs mounted for the test (skipped where mounting is not allowed)."""
    where = tmp_path / "disk"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


# Fill the file system just before the note that the swap finished is written.
_FILL_AT_DONE = """
import errno, os
from pathlib import Path
import rso_scheduler.outputs.files as files
real = files._write_marker
def full(folder, data):
    if data.get("done"):
        filler = Path(os.environ["RSO_TEST_DISK"]) / "filler"
        with open(filler, "ab") as fh:
            try:
                while True:
                    fh.write(b"x" * 65536)
                    fh.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    real(folder, data)
files._write_marker = full
"""


def test_disk_full_at_the_last_step_leaves_the_new_set_checked(
    team: Path, baseline: Path, small_disk: Path
) -> None:
    """The disk fills as the swap ends: exit 0 after the check, the warning says the new set is
    in place; nothing of the old set is left half."""
    out = small_disk / "out"
    shutil.copytree(baseline, out)
    os.environ["RSO_TEST_DISK"] = str(small_disk)
    try:
        done = run(
            "plan", str(team), *PLAN, "--solver", "greedy", "--seed", "8", "--out", str(out),
            patch=_FILL_AT_DONE,
        )  # fmt: skip
    finally:
        del os.environ["RSO_TEST_DISK"]
    assert "No space left on device" in done.stderr, done.stderr
    assert done.returncode == 0 and "Check: no violations" in done.stdout, done.stderr
    assert "new outputs are in place" in done.stderr
    assert '"seed": 8' in (out / "run.json").read_text()
    (small_disk / "filler").unlink()
    assert_checks(team, out)


def test_disk_full_while_writing_leaves_the_previous_set(
    team: Path, baseline: Path, small_disk: Path
) -> None:
    """The disk is full before the new set is staged: exit 1, the previous set byte for byte."""
    out = small_disk / "out"
    shutil.copytree(baseline, out)
    before = snapshot(out)
    with open(small_disk / "filler", "wb") as fh:
        try:
            while True:
                fh.write(b"x" * 65536)
                fh.flush()
        except OSError:
            pass
    done = run("plan", str(team), *PLAN, "--solver", "greedy", "--seed", "8", "--out", str(out))
    assert done.returncode == 1 and "No space left on device" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith((".rso-staging", ".rso-old"))]


# --- a closed pipe -----------------------------------------------------------------------------


def test_plan_piped_into_head_ends_with_its_real_status(team: Path, tmp_path: Path) -> None:
    """`rso plan ... | head -1`: the plan is whole and checked, exit 0, no 'internal error'."""
    out = tmp_path / "out"
    proc = rso(
        "plan", str(team), *PLAN, "--solver", "greedy", "--out", str(out), "-q",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # `| head -0`: the reader is gone before the first line
    err = proc.stderr.read()
    proc.wait(timeout=WAIT_S)
    assert proc.returncode == 0, err
    assert "internal error" not in err and "Traceback" not in err and "Exception" not in err
    assert_checks(team, out)


def test_ctrl_c_in_the_search_of_a_force_size_plan(tmp_path: Path) -> None:
    """A force month (2,000 people, 40 officers): Ctrl-C in CP-SAT's search stops the run in
    seconds with 130, and nothing is written (CP-SAT used to end quietly with fewer visits)."""
    data, out = tmp_path / "force", tmp_path / "out"
    made = run(
        "generate", "--offenders", "2000", "--officers", "40", "--seed", "7",
        "--start", "2027-01-01", "--today", "2026-12-31", "--out", str(data), "-q",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    proc = rso(
        "plan", str(data), *PLAN, "--time-limit", "60", "--out", str(out),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "assignment round 1" in line:
            time.sleep(1)  # well inside the search
            proc.send_signal(signal.SIGINT)
            break
    out_text, err = proc.communicate(timeout=20)
    err = "".join(lines) + err
    assert proc.returncode == 130, err
    assert "interrupted; nothing was written" in err and "Traceback" not in err
    assert "visits owed" not in out_text
    assert not out.exists()


def test_ctrl_c_while_the_report_workbook_is_written(team: Path, tmp_path: Path) -> None:
    """Ctrl-C as the compliance report (XLSX included) is written: 130, one line, no traceback
    of the half-written workbook, nothing written."""
    out = tmp_path / "report"
    proc = rso(
        "report", "compliance", str(team), "--as-of", "2026-12-31", "--today", "2026-12-31",
        "--out", str(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "writing report files" in line:
            proc.send_signal(signal.SIGINT)
            break
    out_text, err = proc.communicate(timeout=20)
    err = "".join(lines) + err
    if proc.returncode == 0:  # it finished first: then whole
        assert (out / "compliance.xlsx").is_file()
        return
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert "interrupted; nothing was written" in err
    assert not out.exists() or not (out / "compliance.xlsx").exists()
