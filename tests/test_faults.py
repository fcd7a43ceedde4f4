"""Faults and neighbours, quick: locks, liveness of staging folders, signals, a full disk."""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import rso_scheduler.solver as solvers
from rso_scheduler import signals
from rso_scheduler.cli import main
from rso_scheduler.outputs import files, lock
from rso_scheduler.outputs.files import MANIFEST, MARKER, recover, staged_output
from rso_scheduler.outputs.lock import LOCK_NAME

PLAN = ["--month", "2027-01", "--solver", "greedy", "--no-maps", "--quiet"]


def _outputs(out: Path) -> dict[str, bytes]:
    """The plan folder's files by name, without the lock file (a reader may leave it)."""
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != LOCK_NAME}


def plan(data: Path, out: Path, *extra: str) -> Any:
    """`rso plan` of January 2027 with the greedy planner (a CliRunner result)."""
    return CliRunner().invoke(main, ["plan", str(data), "--out", str(out), *PLAN, *extra])


def _try_flock(folder: Path, mode: int) -> bool:
    """Could another open file lock `folder` now (without waiting)?"""
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


# --- locks ----------------------------------------------------------------------------------


def test_writer_lock_shuts_out_readers_and_writers(tmp_path: Path) -> None:
    """While a writer holds a folder, no other reader or writer can lock it."""
    out = tmp_path / "out"
    with lock.exclusive(out):
        assert not _try_flock(out, fcntl.LOCK_SH)
        assert not _try_flock(out, fcntl.LOCK_EX)
    assert not (out / LOCK_NAME).exists() or _try_flock(out, fcntl.LOCK_EX)


def test_readers_share_and_keep_writers_out(tmp_path: Path) -> None:
    """Readers share a folder; a writer must wait for them."""
    tmp_path.joinpath("out").mkdir()
    out = tmp_path / "out"
    with lock.shared(out):
        assert _try_flock(out, fcntl.LOCK_SH)
        assert not _try_flock(out, fcntl.LOCK_EX)


def test_writer_reads_its_own_folder_without_waiting(tmp_path: Path) -> None:
    """The post-check of a writer (a shared lock inside its own exclusive one) does not wait."""
    out = tmp_path / "out"
    with lock.exclusive(out), lock.shared(out), lock.exclusive(out):
        assert lock.holds(out, exclusive=True)
    assert not lock.holds(out)


def test_a_failed_first_run_leaves_no_folder(tmp_path: Path) -> None:
    """A writer that made the folder and wrote nothing removes it (and its lock file)."""
    out = tmp_path / "new" / "out"
    with pytest.raises(RuntimeError), staged_output(out):
        raise RuntimeError("boom")
    assert not out.exists()


def test_a_symlink_loop_as_lock_file_is_a_message(tmp_path: Path) -> None:
    """A link in place of the lock file is refused with a message, not followed."""
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).symlink_to(out / LOCK_NAME)
    with pytest.raises(files.OutputError, match="symbolic link"), lock.exclusive(out):
        pass


# --- liveness of staging folders --------------------------------------------------------------


def _leave_staging(out: Path, **identity: Any) -> Path:
    """A staging folder for `out` as a run with `identity` would leave it."""
    stage = out / ".rso-staging-test"
    stage.mkdir(parents=True)
    marker = {"tool": "rso-scheduler", "out": str(out.resolve()), "role": "staging", **identity}
    (stage / MARKER).write_text(json.dumps(marker))
    return stage


def _me(**changes: Any) -> dict[str, Any]:
    me = files._identity()
    return {**me, **changes}


@pytest.mark.parametrize(
    ("changes", "kept"),
    [
        ({"pid_ns": "pid:[1]", "pid": 1}, True),  # another container: its pid means nothing here
        ({"host": "another-host.example", "pid": 1}, True),  # a shared drive's other machine
        ({"boot_id": "00000000-dead-beef-0000-000000000000"}, False),  # before a reboot
        ({"pid": 2**22 + 7}, False),  # a pid that is not running
        ({"pid": os.getppid(), "started": 1}, False),  # a running pid, but another process
    ],
)
def test_staging_folders_are_judged_by_host_boot_and_start_time(
    tmp_path: Path, changes: dict[str, Any], kept: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A staging folder is removed only when its run is surely dead, not by pid alone."""
    out = tmp_path / "out"
    stage = _leave_staging(out, **_me(**changes))
    with caplog.at_level(logging.WARNING):
        recover(out)
    assert stage.exists() == kept
    if kept:
        assert "may still be writing" in caplog.text


def test_a_live_writers_staging_folder_is_kept(tmp_path: Path) -> None:
    """The staging folder of a running process (the test's parent) is never removed."""
    out = tmp_path / "out"
    stage = _leave_staging(out, **_me(pid=os.getppid(), started=files._start_time(os.getppid())))
    recover(out)
    assert stage.exists()


def test_markers_name_host_boot_and_start(tmp_path: Path) -> None:
    """A staging marker records host, boot id, pid namespace and start time, not only a pid."""
    seen: list[dict[str, Any]] = []
    with staged_output(tmp_path / "out") as stage:
        seen.append(json.loads((stage / MARKER).read_text()))
    assert seen[0]["host"] == socket.gethostname() and seen[0]["pid"] == os.getpid()
    assert seen[0]["boot_id"] and seen[0]["pid_ns"] and isinstance(seen[0]["started"], int)


# --- the last step of a swap --------------------------------------------------------------------


def _fail_done_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    real = files._write_marker

    def write(folder: Path, data: dict[str, Any]) -> None:
        if data.get("done"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(folder, data)

    monkeypatch.setattr(files, "_write_marker", write)


def test_done_flag_failure_says_the_new_set_is_in_place_and_checks_it(
    tiny_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Disk full writing the done flag: the new set is in place, said, and still checked."""
    out = tmp_path / "out"
    assert plan(tiny_dir, out).exit_code == 0
    before = (out / "roster.csv").read_text()
    _fail_done_flag(monkeypatch)
    with caplog.at_level(logging.WARNING):
        result = plan(tiny_dir, out, "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "Check: no violations" in result.output and "Traceback" not in result.output
    assert "new outputs are in place" in caplog.text and "No space" in caplog.text
    assert json.loads((out / "run.json").read_text())["options"]["seed"] == 3
    assert (out / MANIFEST).is_file() and before.split("\n")[0] in (out / "roster.csv").read_text()
    assert not [p for p in out.iterdir() if p.name.startswith((".rso-old", ".rso-staging"))]


def test_disk_full_before_the_swap_leaves_the_old_set(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Disk full while staging: exit 1, the previous outputs untouched, no staging left."""
    out = tmp_path / "out"
    assert plan(tiny_dir, out).exit_code == 0
    before = _outputs(out)
    real = files.write_private

    def full(path: Path, data: str | bytes) -> None:
        if path.name == MANIFEST:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)

    monkeypatch.setattr(files, "write_private", full)
    result = plan(tiny_dir, out, "--seed", "3")
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert _outputs(out) == before


# --- signals ----------------------------------------------------------------------------------


def _interrupt_in(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str, signum: int, swallow: bool = False
) -> None:
    """Make `module.name` deliver `signum` to this process when called (then go on)."""
    real = getattr(module, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            os.kill(os.getpid(), signum)
            for _ in range(1000):  # the handler runs (and raises) at the next bytecode check
                pass
        except KeyboardInterrupt:
            if not swallow:
                raise
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)


@pytest.mark.parametrize(
    ("place", "signum", "code"),
    [
        ("planner", signal.SIGINT, 130),
        ("planner", signal.SIGTERM, 143),
        ("handouts", signal.SIGINT, 130),
        ("handouts", signal.SIGTERM, 143),
    ],
)
def test_a_signal_before_the_swap_writes_nothing(
    tiny_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    place: str,
    signum: int,
    code: int,
) -> None:
    """Ctrl-C or SIGTERM while planning or writing: 130/143, 'nothing was written', old set whole."""
    from rso_scheduler.outputs import handouts

    out = tmp_path / "out"
    assert plan(tiny_dir, out).exit_code == 0
    before = _outputs(out)
    if place == "planner":
        _interrupt_in(monkeypatch, solvers, "greedy_plan", signum)
    else:
        _interrupt_in(monkeypatch, handouts, "write_handouts", signum)
    result = plan(tiny_dir, out, "--seed", "5")
    assert result.exit_code == code, result.output
    assert "interrupted; nothing was written" in result.output
    assert "Traceback" not in result.output
    assert _outputs(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".rso-staging")]
    assert signals.pending() is None  # the next command (or test) starts clean


def test_a_swallowed_interruption_still_stops_the_run(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interruption some code swallowed (as CP-SAT did) still stops the run: no plan."""
    out = tmp_path / "out"
    _interrupt_in(monkeypatch, solvers, "greedy_plan", signal.SIGINT, swallow=True)
    result = plan(tiny_dir, out)
    assert result.exit_code == 130 and "nothing was written" in result.output
    assert not out.exists()


def test_a_signal_during_the_check_says_the_new_set_is_unchecked(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted after the swap: the message says the new outputs are in place, unchecked."""
    import rso_scheduler.check as check

    out = tmp_path / "out"
    _interrupt_in(monkeypatch, check, "check_plan", signal.SIGTERM)
    result = plan(tiny_dir, out)
    assert result.exit_code == 143, result.output
    assert "put in place" in result.output and "not checked" in result.output
    assert "nothing was written" not in result.output
    assert (out / "roster.csv").is_file() and (out / MANIFEST).is_file()


def test_a_signal_during_the_swap_waits_for_the_set(tmp_path: Path) -> None:
    """A signal during the renames is held back until the new set is whole."""
    out = tmp_path / "out"
    signals.install()
    seen: list[str] = []
    real = files._Swap.run

    def run(self: Any) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # held back: the handler has not run yet
        seen.append("moving")
        real(self)
        seen.append("moved")

    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(files._Swap, "run", run)
            with pytest.raises(signals.Interrupted), staged_output(out) as stage:
                (stage / "roster.csv").write_text("new\n")
        assert seen == ["moving", "moved"]
        assert (out / "roster.csv").read_text() == "new\n"
        assert signals.written() == [str(out)]
    finally:
        signals.reset()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_cp_sat_search_stops_on_a_signal_and_handlers_survive() -> None:
    """A signal during a CP-SAT search stops it and raises; the handlers are as before."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    xs = [m.new_int_var(0, 100, f"x{i}") for i in range(60)]
    for i in range(59):
        m.add(xs[i] + xs[i + 1] <= 100 + i % 7)
    m.add_all_different(xs)
    m.maximize(sum((i % 5 + 1) * x for i, x in enumerate(xs)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 600  # only the signal can end it soon
    solver.parameters.num_workers = 1
    solver.parameters.catch_sigint_signal = False
    before = signal.getsignal(signal.SIGINT)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt), signals.stop_on_signal(solver.stop_search):
        solver.solve(m)
    timer.join()
    assert signal.getsignal(signal.SIGINT) is before


# --- exit codes and messages ------------------------------------------------------------------


def _closed_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    """click.echo to stdout fails as it does under `| head` once head has gone."""
    import click

    real = click.echo

    def echo(message: Any = None, file: Any = None, nl: bool = True, err: bool = False, **kw: Any):  # type: ignore[no-untyped-def]
        if not err and file is None:
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))
        return real(message, file=file, nl=nl, err=err, **kw)

    monkeypatch.setattr(click, "echo", echo)


def test_plan_into_a_closed_pipe_ends_with_its_real_status(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rso plan ... | head`: the plan is written and checked, exit 0, no 'internal error'."""
    _closed_stdout(monkeypatch)
    result = plan(tiny_dir, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert (tmp_path / "out" / "roster.csv").is_file()


def test_a_closed_pipe_elsewhere_is_a_plain_stop(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command stopped by a closed stdout says so and exits 141, not 'internal error'."""
    _closed_stdout(monkeypatch)
    result = CliRunner().invoke(main, ["validate", str(tiny_dir)])
    assert result.exit_code == 141, result.output
    assert "closed it" in result.output and "internal error" not in result.output


@pytest.mark.parametrize("below", ["", "sub"])
def test_a_symlink_loop_as_out_is_exit_2(tiny_dir: Path, tmp_path: Path, below: str) -> None:
    """--out that is (or lies under) a loop of symbolic links: exit 2 with a message."""
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    result = plan(tiny_dir, loop / below if below else loop)
    assert result.exit_code == 2, result.output
    assert "loop of symbolic links" in result.output and "internal error" not in result.output


def test_a_symlink_loop_as_a_plan_folder_is_exit_2(tiny_dir: Path, tmp_path: Path) -> None:
    """`rso check` of a plan folder that is a loop of links: exit 2 with a message."""
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    result = CliRunner().invoke(main, ["check", str(tiny_dir), str(loop)])
    assert result.exit_code == 2, result.output
    assert "loop of symbolic links" in result.output


def test_the_lock_file_never_moves_with_a_set(tmp_path: Path) -> None:
    """A lock file made in the stage (by reading it back) is not swapped over the held one."""
    out = tmp_path / "out"
    with lock.exclusive(out):
        held = os.stat(out / LOCK_NAME)
        with staged_output(out) as stage:
            (stage / "roster.csv").write_text("x\n")
            with lock.shared(stage):  # as read_roster(stage) does when maps are drawn
                pass
        assert os.path.samestat(os.stat(out / LOCK_NAME), held)
        assert LOCK_NAME not in json.loads((out / MANIFEST).read_text())["paths"]


def test_finalisers_failing_after_an_interruption_print_nothing() -> None:
    """Once interrupted, what a half-written workbook's finalisers raise is not printed."""
    seen: list[Any] = []
    hook = signals._quiet_unraisable(seen.append)

    class Info:
        exc_value = ValueError("I/O operation on closed file.")

    try:
        hook(Info())
        assert len(seen) == 1  # not interrupted: shown as usual
        signals._state["pending"] = signal.SIGINT
        hook(Info())
        assert len(seen) == 1
    finally:
        signals.reset()


def test_a_file_system_without_locks_is_said_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Where flock is not supported (some network drives), the write goes on with a warning."""

    def no_locks(fd: int, how: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(lock.fcntl, "flock", no_locks)
    with caplog.at_level(logging.WARNING), staged_output(tmp_path / "out") as stage:
        (stage / "roster.csv").write_text("x\n")
    assert (tmp_path / "out" / "roster.csv").read_text() == "x\n"
    assert "without file locks" in caplog.text
