"""The one exception hierarchy of rso-scheduler.

The library raises these; the CLI turns them into a one-line (or one-line-per-problem) message
and an exit code. Messages never carry coordinates or whole input rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from rso_scheduler.limits import MAX_PROBLEMS_SHOWN
from rso_scheduler.redact import shown


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located as precisely as the file allows."""

    file: str
    line: int | None  # 1-based physical line in the file (the header is line 1)
    column: str | None  # column name as written in the header, or a policy key
    message: str  # what was found and what was expected; never coordinates
    cell: str | None = None  # a workbook's cell (`C14`): shown as `offenders.xlsx!C14`

    def __str__(self) -> str:
        where = self.file
        if self.cell is not None:
            where += f"!{self.cell}"
        elif self.line is not None:
            where += f":{self.line}"
        if self.column:
            # A column may be a header name or a TOML key from the file: masked like any value.
            masked = shown(self.column)
            column = self.column if masked == f"'{self.column}'" else masked
            return f"{where} {column}: {self.message}"
        return f"{where}: {self.message}"


class RsoError(Exception):
    """Base of every error the tool reports to a user (exit code 1 unless a child says otherwise)."""

    exit_code = 1


class InputError(RsoError):
    """The input files break the data contract. Carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_problem_order)
        n = len(self.problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the input files")

    def shown_problems(self) -> list[Problem]:
        """The problems a user is shown: the first MAX_PROBLEMS_SHOWN (in file and line order)."""
        return self.problems[:MAX_PROBLEMS_SHOWN]

    def more(self) -> int:
        """How many problems are left out of `shown_problems`."""
        return max(0, len(self.problems) - MAX_PROBLEMS_SHOWN)

    def report(self) -> str:
        """The problems, one per line (at most MAX_PROBLEMS_SHOWN, then how many more), then a count."""
        lines = [str(p) for p in self.shown_problems()]
        if self.more():
            lines.append(
                f"... and {self.more()} more problems (the first {MAX_PROBLEMS_SHOWN} shown)"
            )
        n = len(self.problems)
        lines.append(f"{n} problem{'s' if n != 1 else ''} found; nothing was written.")
        return "\n".join(lines)


class PathError(RsoError):
    """A folder or file named on the command line does not exist or is the wrong kind.

    Bad input like a broken file (exit code 2), but with nothing to locate inside a file.
    """

    exit_code = 2


class PolicyError(InputError):
    """policy.toml (or a scenario's policy override) is invalid."""


class ScenarioError(RsoError):
    """A scenario file is invalid or cannot be run."""

    exit_code = 2


class PlanError(RsoError):
    """A plan cannot be made (e.g. an empty period)."""


class GenerationError(RsoError):
    """A synthetic data set cannot be made as requested (`rso generate`, e.g. too few officers)."""

    exit_code = 2


class OutputError(RsoError):
    """An output directory or file cannot be read or written."""


class OutPathError(OutputError, PathError):
    """`--out` cannot be an output folder (it is a file, or something is in the way): a bad
    option, exit code 2, found before anything is written."""

    exit_code = 2


def _problem_order(p: Problem) -> tuple[str, int, str]:
    return (p.file, p.line if p.line is not None else 0, p.column or "")
