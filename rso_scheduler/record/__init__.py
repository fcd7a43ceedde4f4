"""The record: one hash-chained trail of plans issued, changes, outcomes and reports.

`store.Store` keeps the entries (SQLite; where and why in store.py); `book` gives them meaning
(record a plan, apply a change with a reason, list plans, a plan's visits, a person's history,
the trail). A web layer calls these and never touches files or SQL.
"""

from rso_scheduler.record.book import (
    ChangeRefused,
    NotFound,
    PlanInfo,
    apply_change,
    history,
    outcomes,
    plan_breaks,
    plan_info,
    plan_visits,
    plans,
    record_issued,
    record_outcomes,
    record_report,
    trail,
)
from rso_scheduler.record.store import RECORD_ENV, Entry, RecordError, Store, record_path

__all__ = [
    "RECORD_ENV",
    "ChangeRefused",
    "Entry",
    "NotFound",
    "PlanInfo",
    "RecordError",
    "Store",
    "apply_change",
    "history",
    "outcomes",
    "plan_info",
    "plan_breaks",
    "plan_visits",
    "plans",
    "record_issued",
    "record_outcomes",
    "record_report",
    "record_path",
    "trail",
]
