"""What every command shares: turning library errors into clean exits, progress on stderr."""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from rso_scheduler.errors import InputError, RsoError
from rso_scheduler.signals import Interrupted, raise_if_pending, reset, written

F = TypeVar("F", bound=Callable[..., Any])


class UserError(click.ClickException):
    """A user-facing failure: message on stderr, no traceback, the error's exit code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        # click declares exit_code on the class; each error here carries its own
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def handle_errors(fn: F) -> F:
    """Decorator for command callbacks: RsoError -> one clear message and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            value = fn(*args, **kwargs)
            raise_if_pending()  # an interruption whose exception something swallowed
            return value
        except InputError as exc:
            raise UserError(exc.report(), exc.exit_code) from None
        except RsoError as exc:
            raise UserError(str(exc), exc.exit_code) from None
        except BrokenPipeError:
            # stdout was closed under a command that does not know how far it got (a plain
            # click.echo, not `say`): stop as a pipe writer does, without a traceback.
            stdout_gone()
            raise UserError(
                "stopped: the program reading the output (e.g. `| head`) closed it", PIPE_EXIT
            ) from None
        except KeyboardInterrupt as exc:
            signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
            raise UserError(interrupted_message(), 128 + signum) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            # A bug, not bad input. The user gets one line, never a traceback: the exception's
            # text may quote a row or a coordinate, so only its type and place are shown.
            if os.environ.get("RSO_DEBUG"):
                raise
            raise UserError(
                f"internal error ({type(exc).__name__} at {_where(exc)}); outputs are written "
                "only on success, so no partial files were left. Please report it with the "
                "command line; RSO_DEBUG=1 shows the details",
                INTERNAL_ERROR_EXIT,
            ) from None
        finally:
            reset()  # the command is over: its interruption is not the next one's (tests)

    return wrapper  # type: ignore[return-value]


PIPE_EXIT = 141  # 128 + SIGPIPE, what a shell shows for a writer whose reader went away


def stdout_gone() -> None:
    """Point stdout at /dev/null: its reader has gone, and a later write (or the flush at
    exit) must not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def say(text: str) -> None:
    """A line of results on stdout; a reader that has gone (`rso plan ... | head`) does not
    stop the run: what is left to do (the check, the exit status) still happens."""
    try:
        click.echo(text)
    except BrokenPipeError:
        stdout_gone()


def interrupted_message() -> str:
    """What an interruption left: nothing, or new outputs not yet checked (signals.py)."""
    done = written()
    if not done:
        return "interrupted; nothing was written (the previous outputs are as they were)"
    return (
        f"interrupted after the new outputs were put in place in {', '.join(done)}; they "
        "were not checked: run `rso check` on them, or run the command again"
    )


INTERNAL_ERROR_EXIT = 70  # EX_SOFTWARE (sysexits.h)


def _where(exc: BaseException) -> str:
    """`module.py:line` of the innermost frame inside this package (no values, no paths)."""
    place = "unknown place"
    for frame in traceback.extract_tb(exc.__traceback__):
        if f"{os.sep}rso_scheduler{os.sep}" in frame.filename:
            place = f"{Path(frame.filename).name}:{frame.lineno}"
    return place


def finite_seconds(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    """Click callback: a time limit must be a real number (nan and inf pass FloatRange)."""
    if not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of seconds; expected e.g. 60")
    return value


def data_dir_or_here(data_dir: Path | None, example: str) -> Path:
    """DATA_DIR as given, else the current folder if it holds offenders.csv; never a guess.

    `example` is the command line shown when neither, e.g. `rso plan data/sample --out out`.
    """
    if data_dir is not None:
        return data_dir
    here = Path.cwd()
    if (here / "offenders.csv").is_file():
        return here
    raise UserError(
        f"no data folder given and the current folder ({here}) has no offenders.csv; "
        f"name one, e.g. `{example}` for the demo data",
        2,
    )


TODAY_HELP = "Take DATE (YYYY-MM-DD) as today, e.g. to re-run an old month"


def today_option(effect: str, *, from_plan: bool = False) -> Callable[[F], F]:
    """The `--today DATE` option every command shares; the command gets a `date`.

    `effect` says what today decides in that command. Without the option the command gets the
    computer's date, or None with `from_plan` (then `plan_today` reads the plan's run.json).
    Only commands read the clock; the library is always told the day.
    """
    default = (
        "the today in OUT/run.json, else the computer's date"
        if from_plan
        else "the computer's date"
    )

    def parse(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
        if value is None:
            return None if from_plan else date.today()
        return parse_iso_date(value, "--today")

    return click.option(
        "--today",
        "today",
        metavar="DATE",
        default=None,
        callback=parse,
        help=f"{TODAY_HELP} (default: {default}). {effect}",
    )


def plan_today(given: date | None, run: dict[str, Any]) -> date:
    """`--today` if given, else the today a plan's run.json records, else the computer's date.

    A plan written before run.json recorded `today` falls back to the computer's date.
    """
    if given is not None:
        return given
    raw = run.get("today")
    if raw is None:
        return date.today()
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise UserError(
            f"run.json: today '{raw}' is not a date; expected YYYY-MM-DD (or give --today)", 2
        ) from None


def parse_iso_date(value: str, option: str) -> date:
    """A YYYY-MM-DD option value, or a one-line usage error naming the option."""
    from rso_scheduler.calendar import DATE_RANGE_TEXT, in_supported_range

    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option}: '{value}' is not a date; expected YYYY-MM-DD", 2) from None
    if not in_supported_range(day):
        raise UserError(
            f"{option}: '{value}' is out of range; expected a date {DATE_RANGE_TEXT}", 2
        )
    return day


def parse_month(value: str, option: str = "--month") -> tuple[date, date]:
    """A YYYY-MM option value as its first and last day, or a one-line usage error (exit 2)."""
    import re

    from rso_scheduler.calendar import DATE_RANGE_TEXT, month_bounds

    m = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise UserError(f"{option}: '{value}' is not a month; expected YYYY-MM, e.g. 2027-01", 2)
    try:
        return month_bounds(m.group(0))
    except ValueError:
        raise UserError(
            f"{option}: '{value}' is beyond the supported range; expected a month "
            f"{DATE_RANGE_TEXT}",
            2,
        ) from None


MAX_PERIOD_DAYS = 366


def plan_period(
    month: str | None, start: str | None, end: str | None, today: date
) -> tuple[date, date]:
    """The period of `--month` or `--start`/`--end` (default: the month after today); exit 2 if bad."""
    from rso_scheduler.calendar import next_month_start

    if month and (start or end):
        raise UserError("give either --month or --start/--end, not both", 2)
    if bool(start) != bool(end):
        raise UserError("--start and --end must be given together", 2)
    if start and end:
        s, e = parse_iso_date(start, "--start"), parse_iso_date(end, "--end")
        if e < s:
            raise UserError(f"--end {e} is before --start {s}", 2)
        days = (e - s).days + 1
        if days > MAX_PERIOD_DAYS:
            # Every owed visit of every day is one model: years of them exhaust memory.
            raise UserError(
                f"--start {s} to --end {e} is {days} days; a plan covers at most "
                f"{MAX_PERIOD_DAYS} days (plan month by month, or use `rso scenario run` "
                "for a longer horizon)",
                2,
            )
        return s, e
    if month is None:
        month = next_month_start(today).strftime("%Y-%m")
    return parse_month(month)


class Progress:
    """Timestamped progress lines on stderr (quiet when `enabled` is False)."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        raise_if_pending()  # the steps of a run are where a swallowed interruption resurfaces
        if self.enabled:
            click.echo(f"[{time.perf_counter() - self.t0:6.1f}s] {message}", err=True)
            sys.stderr.flush()


DEFAULT_TIME_LIMIT_S = 60.0  # a force-size month finishes within a minute


TIME_LIMIT_HELP = "Seconds the optimiser may run (it may stop earlier)"


def time_limit_option(fn: F) -> F:
    """--time-limit S for `rso plan`: a long plan is planned month by month, each with it."""
    return _time_limit(
        f"{TIME_LIMIT_HELP}; a plan longer than 31 days is planned month by month, with this "
        "limit for each month."
    )(fn)


def replan_time_limit_option(fn: F) -> F:
    """--time-limit S for `rso replan`: a re-plan keeps its issued visits in one model."""
    return _time_limit(
        f"{TIME_LIMIT_HELP}; a re-plan is one model however long the period. It is planned "
        "twice: from scratch with this limit (as rso plan of the same days), and from the "
        "issued roster with 40% of it more, so it may take up to 1.4 times the limit."
    )(fn)


def _time_limit(help_text: str) -> Callable[[F], F]:
    return click.option(
        "--time-limit",
        "time_limit_s",
        type=click.FloatRange(min=0, min_open=True),
        callback=finite_seconds,
        default=DEFAULT_TIME_LIMIT_S,
        show_default=True,
        help=help_text,
    )


def seed_option(fn: F) -> F:
    """--seed N: the same inputs and seed give the same roster."""
    from rso_scheduler.limits import MAX_SEED

    return click.option(
        "--seed",
        type=click.IntRange(0, MAX_SEED),
        default=0,
        show_default=True,
        help="Same inputs and seed give the same roster.",
    )(fn)


def say_notices(stats: dict[str, Any], quiet: bool) -> None:
    """The planner's notices (a safety net that fired, a fallback) on stderr under --quiet;
    without it the progress lines have shown them as they happened. Never silent."""
    if quiet:
        for note in stats.get("notices", []):
            click.echo(f"note: {note}", err=True)


def run_travel(dataset: Any, data_dir: Path, progress: Progress) -> Any:
    """The run's travel model (`travel.build_travel`), its fallbacks said on stderr.

    Said even with --quiet (like data warnings): a straight-line fallback changes the roster.
    """
    from rso_scheduler.travel import build_travel

    if dataset.policy.travel.model != "haversine":
        progress(f"travel model: {dataset.policy.travel.model}")
    travel = build_travel(dataset.policy, dataset, data_dir, progress=progress)
    for note in travel.notes:
        click.echo(f"warning: {note}", err=True)
    return travel
