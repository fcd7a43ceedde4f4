"""Validated model of a team's caseload, officers and availability.

These are the objects the rest of the tool works on. They are built by `ingest` (which
turns raw CSV text into them, with every problem located by file, line and column) and are
immutable afterwards. Times are minutes after midnight (`*_min`), dates are `datetime.date`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class RiskLevel(StrEnum):
    """Risk levels, most serious first."""

    very_high = "very_high"
    high = "high"
    medium = "medium"
    low = "low"

    @property
    def rank(self) -> int:
        """0 for very high ... 3 for low (sort key: most serious first)."""
        return RISK_ORDER.index(self)

    @property
    def label(self) -> str:
        """As people read it: "Very high", "High", "Medium", "Low" (the code is `value`)."""
        return self.value.replace("_", " ").capitalize()


RISK_ORDER: tuple[RiskLevel, ...] = (
    RiskLevel.very_high,
    RiskLevel.high,
    RiskLevel.medium,
    RiskLevel.low,
)


class Status(StrEnum):
    active = "active"
    reactive = "reactive"  # reactive management: counted, no planned home visits
    custody = "custody"
    hospital = "hospital"
    abroad = "abroad"

    @property
    def suspended(self) -> bool:
        return self in (Status.custody, Status.hospital, Status.abroad)


class Outcome(StrEnum):
    completed = "completed"
    no_access = "no_access"
    cancelled = "cancelled"


class VisitKind(StrEnum):
    announced = "announced"
    unannounced = "unannounced"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Offender(_Frozen):
    """One managed person (offenders.csv row)."""

    offender_id: str = Field(min_length=1)
    risk_level: RiskLevel
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    offender_manager_id: str | None = None
    area: str | None = None
    status: Status = Status.active
    last_visit_date: date | None = None
    registered_on: date | None = None
    released_on: date | None = None
    address_changed_on: date | None = None
    visit_interval_days: int | None = Field(default=None, gt=0)
    two_officers: bool | None = None
    window_start_min: int | None = Field(default=None, ge=0, le=24 * 60)
    window_end_min: int | None = Field(default=None, ge=0, le=24 * 60)
    unavailable_from: date | None = None
    unavailable_to: date | None = None
    visit_minutes: int | None = Field(default=None, gt=0)
    required_skills: frozenset[str] = frozenset()
    address: str | None = None  # free text for the officers' handouts; never logged
    line: int = 0  # source line in offenders.csv, for messages

    @model_validator(mode="after")
    def _windows_in_order(self) -> Self:
        if (self.window_start_min is None) != (self.window_end_min is None):
            raise ValueError("window_start and window_end must be given together")
        if (
            self.window_start_min is not None
            and self.window_end_min is not None
            and self.window_end_min <= self.window_start_min
        ):
            raise ValueError("window_end must be after window_start")
        if (
            self.unavailable_from is not None
            and self.unavailable_to is not None
            and self.unavailable_to < self.unavailable_from
        ):
            raise ValueError("unavailable_to must be on or after unavailable_from")
        return self

    def unavailable_on(self, day: date) -> bool:
        """True if no visit is possible on `day` (notified travel etc.).

        An open-ended range (only one end given) runs from/to that date indefinitely.
        """
        return in_unavailable_range(self.unavailable_from, self.unavailable_to, day)


def in_unavailable_range(
    unavailable_from: date | None, unavailable_to: date | None, day: date
) -> bool:
    """True if `day` falls in an inclusive unavailability range; one missing end is open-ended."""
    if unavailable_from is None and unavailable_to is None:
        return False
    return (unavailable_from or date.min) <= day <= (unavailable_to or date.max)


class Officer(_Frozen):
    """One officer who can make visits (officers.csv row)."""

    officer_id: str = Field(min_length=1)
    name: str | None = None
    base_lat: float = Field(ge=-90, le=90)
    base_lon: float = Field(ge=-180, le=180)
    area: str | None = None
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # 0 = Monday
    shift_start_min: int = Field(default=8 * 60, ge=0, le=24 * 60)
    shift_end_min: int = Field(default=16 * 60, ge=0, le=24 * 60)
    max_visits_per_day: int | None = Field(default=None, ge=0)
    skills: frozenset[str] = frozenset()
    refreshment_minutes: int | None = Field(default=None, ge=0, le=180)  # overrides the policy
    line: int = 0

    @model_validator(mode="after")
    def _shift_in_order(self) -> Self:
        if self.shift_end_min <= self.shift_start_min:
            raise ValueError("shift_end must be after shift_start")
        return self

    @property
    def display_name(self) -> str:
        return self.name or self.officer_id


class Absence(_Frozen):
    """An officer unavailable on an inclusive date range (absences.csv row)."""

    officer_id: str = Field(min_length=1)
    start: date
    end: date
    reason: str | None = None
    line: int = 0

    @model_validator(mode="after")
    def _range_in_order(self) -> Self:
        if self.end < self.start:
            raise ValueError("end must be on or after start")
        return self


class VisitRecord(_Frozen):
    """One entry of the visit history log (visits.csv row)."""

    offender_id: str = Field(min_length=1)
    date: date
    start_min: int | None = Field(default=None, ge=0, le=24 * 60)
    officer_ids: tuple[str, ...] = ()
    outcome: Outcome
    kind: VisitKind | None = None
    line: int = 0


class InputFile(_Frozen):
    """A file the data came from, with its content hash (recorded in every run record)."""

    name: str
    sha256: str
    rows: int


class Dataset(BaseModel):
    """Everything read from a data directory, validated and cross-checked.

    Built only by `ingest.load_dataset`. Lookups by id are precomputed.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    offenders: tuple[Offender, ...]
    officers: tuple[Officer, ...]
    absences: tuple[Absence, ...] = ()
    visits: tuple[VisitRecord, ...] = ()
    policy: Policy
    files: tuple[InputFile, ...] = ()
    warnings: tuple[str, ...] = ()
    source_dir: str | None = None
    # How each table's rows were located ("coordinates", "postcode", "uprn", "terminated"),
    # by file name, and notes on the reading (the gazetteer index built): for `rso validate`.
    locations: dict[str, dict[str, int]] = {}
    notes: tuple[str, ...] = ()

    def offender_by_id(self) -> dict[str, Offender]:
        return {o.offender_id: o for o in self.offenders}

    def officer_by_id(self) -> dict[str, Officer]:
        return {o.officer_id: o for o in self.officers}

    def file_hashes(self) -> dict[str, str]:
        return {f.name: f.sha256 for f in self.files}


from rso_scheduler.policy import Policy  # noqa: E402  (resolves the forward reference)

Dataset.model_rebuild()
