"""Scenario files: TOML in, a validated `Scenario` out, every problem located by file, line and key.

`parse_scenario(text, file, base_dir)` is pure; `load_scenario(path)` reads the file. The
`[policy]` table takes any policy.toml key (dotted keys allowed) and is checked against the
built-in policy here, so a wrong key points at the scenario file's line before any data is read.
"""

from __future__ import annotations

import importlib
import os
import re
import tomllib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from rso_scheduler import redact
from rso_scheduler.calendar import DATE_RANGE_TEXT, in_supported_range, next_month_start
from rso_scheduler.errors import InputError, PolicyError, Problem, ScenarioError
from rso_scheduler.input.files import present, read_toml_text
from rso_scheduler.limits import MAX_GROWTH, MAX_SEED
from rso_scheduler.models import Dataset
from rso_scheduler.policy import NESTED_TOO_DEEPLY, _key_lines, apply_overrides


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OfficerChanges(_Strict):
    """The [officers] table of a scenario file."""

    remove_share: float = Field(default=0.0, ge=0.0, lt=1.0)
    remove: tuple[str, ...] = ()
    add: int = Field(default=0, ge=0, le=10_000)
    extra_absence_share: float = Field(default=0.0, ge=0.0, lt=1.0)
    # the extra absence falls inside these dates only (default: the whole horizon)
    extra_absence_from: date | None = None
    extra_absence_to: date | None = None

    @model_validator(mode="after")
    def _absence_range(self) -> Self:
        a, b = self.extra_absence_from, self.extra_absence_to
        if a is not None and b is not None and b < a:
            raise ValueError("extra_absence_to must be on or after extra_absence_from")
        return self


class CaseloadChanges(_Strict):
    """The [caseload] table: growth 0.05 = 5% more people (negative: fewer)."""

    # at most four times the caseload: more is not a what-if of one team, and work grows with it
    growth: float = Field(default=0.0, gt=-1.0, le=MAX_GROWTH)


class Scenario(_Strict):
    """A validated scenario file. `data` is resolved against the file's folder."""

    name: str = Field(min_length=1, max_length=200)
    data: Path
    start: date | None = None
    months: int = Field(default=3, ge=1, le=36)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)  # the planners' seeds must fit 31 bits
    officers: OfficerChanges = OfficerChanges()
    caseload: CaseloadChanges = CaseloadChanges()
    policy: dict[str, Any] = Field(default_factory=dict)
    file: str = "scenario.toml"  # where it came from, for messages and outputs

    @field_validator("start")
    @classmethod
    def _start_is_plausible(cls, v: date | None) -> date | None:
        if v is not None and not in_supported_range(v):
            raise ValueError(f"expected a date {DATE_RANGE_TEXT}")
        return v

    @field_validator("name")
    @classmethod
    def _name_is_text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in v):
            # Printed to the terminal: an escape sequence could rewrite what the user sees.
            raise ValueError("must not contain control characters (tabs, line breaks, escapes)")
        if redact.may_be_coordinate(v):
            # Printed in every table and page: a name is never a place to write a location.
            raise ValueError(
                "must not hold numbers with 2 or more decimals or degrees (they may be coordinates)"
            )
        return v.strip()

    def plan_start(self, today: date) -> date:
        """The first day planned: `start`, else the first day of the month after `today`."""
        return self.start or next_month_start(today)


_SCENARIO_KEYS = ("name", "data", "start", "months", "seed", "officers", "caseload", "policy")


def parse_scenario(
    text: str, file: str = "scenario.toml", base_dir: Path | None = None
) -> Scenario:
    """Parse scenario TOML text into a `Scenario`; raise `ScenarioError`/`PolicyError` with located problems.

    A relative `data` path is resolved against `base_dir` (the scenario file's folder).
    The `[policy]` overrides are checked here against the built-in policy so that a wrong key
    is reported with the scenario file's line, before any data is read.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc).split(" (at ")[0]
        line = _toml_error_line(str(exc))
        raise InputError([Problem(file, line, None, f"not valid TOML: {msg}")]) from None
    except RecursionError:
        raise InputError([Problem(file, None, None, NESTED_TOO_DEEPLY)]) from None
    lines = _key_lines(text)
    problems: list[Problem] = []

    def where(key: str) -> int | None:
        return _line_of(key, lines)

    data = dict(raw)
    if "file" in data:  # set from the file name below, never from the file itself
        expected = ", ".join(_SCENARIO_KEYS)
        problems.append(
            Problem(file, where("file"), "file", f"unknown key 'file'; expected one of {expected}")
        )
        del data["file"]
    # Checked whatever else is wrong, so that every problem of the file is reported at once.
    raw_policy = data.get("policy")
    policy_problems = (
        _policy_problems(raw_policy, file, lines) if isinstance(raw_policy, dict) else []
    )
    if isinstance(data.get("data"), str) and base_dir is not None:
        p = Path(data["data"])
        data["data"] = p if p.is_absolute() else Path(os.path.normpath(base_dir / p))
    try:
        scenario = Scenario.model_validate({**data, "file": file})
    except ValidationError as exc:
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                section = ".".join(str(p) for p in err["loc"][:-1])
                expected = ", ".join(_allowed(section))
                msg = f"unknown key {redact.shown(str(err['loc'][-1]))}" + (
                    f" in [{section}]" if section else ""
                )
                problems.append(
                    Problem(file, where(key), key, f"{msg}; expected one of {expected}")
                )
            elif err["type"] == "missing":
                problems.append(Problem(file, None, key, "is required but missing"))
            else:
                found = err.get("input")
                shown = redact.shown_found(found)
                msg = err["msg"].removeprefix("Value error, ")  # pydantic's wrapper, not ours
                problems.append(
                    Problem(file, where(key), key, f"{shown} is not valid: {msg.lower()}")
                )
        raise InputError(problems + policy_problems) from None
    if problems:
        raise InputError(problems + policy_problems)
    if policy_problems:
        raise PolicyError(policy_problems)
    return scenario


def _allowed(section: str) -> tuple[str, ...]:
    if section == "officers":
        return tuple(OfficerChanges.model_fields)
    if section == "caseload":
        return tuple(CaseloadChanges.model_fields)
    return _SCENARIO_KEYS


def _toml_error_line(message: str) -> int | None:

    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _policy_problems(overrides: dict[str, Any], file: str, lines: dict[str, int]) -> list[Problem]:
    """The problems of a `[policy]` table checked against the built-in policy, located in `file`."""
    from rso_scheduler.policy import Policy

    if not overrides:
        return []
    try:
        apply_overrides(Policy(), overrides, file)
    except PolicyError as exc:
        return relocate_policy_problems(exc.problems, file, lines)
    return []


def _line_of(key: str, lines: dict[str, int]) -> int | None:
    """The line a dotted key is written on: itself, else its first sub-key, else its table."""
    if key in lines:
        return lines[key]
    below = [n for k, n in lines.items() if k.startswith(key + ".")]
    if below:
        return min(below)
    parts = key.split(".")[:-1]
    while parts:
        if ".".join(parts) in lines:
            return lines[".".join(parts)]
        parts.pop()
    return None


def relocate_policy_problems(
    problems: Sequence[Problem], file: str, lines: dict[str, int]
) -> list[Problem]:
    """Point policy problems at the `[policy]` key of the scenario file they came from."""
    out = []
    for p in problems:
        key = f"policy.{p.column}" if p.column else "policy"
        out.append(Problem(file, _line_of(key, lines), key, p.message))
    return out


def load_scenario(path: Path) -> Scenario:
    """Read and parse a scenario file (`data` relative to the file's folder)."""
    path = Path(path)
    if not present(path):
        raise ScenarioError(f"{path}: cannot read the scenario file (No such file or directory)")
    # Checked as a file and bounded (size, key depth, digits) before tomllib sees it.
    text = read_toml_text(path, path.name)
    return parse_scenario(text, path.name, path.resolve().parent)


def load_scenario_data(scenario: Scenario, today: date) -> Dataset:
    """The scenario's data folder as a validated `Dataset` as of `today` (`ingest.load_dataset`)."""
    if not scenario.data.is_dir():
        raise ScenarioError(f"{scenario.file}: data folder '{scenario.data}' does not exist")
    ingest = importlib.import_module("rso_scheduler.ingest")
    dataset: Dataset = ingest.load_dataset(scenario.data, today=today)
    return dataset
