"""The duty calendar (rso_scheduler/duty.py) and the imports under it (no circles)."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from rso_scheduler.duty import DutyCalendar, shift_minutes
from rso_scheduler.models import Absence
from tests.solver_helpers import officer

MON, SUN = date(2026, 12, 21), date(2026, 12, 27)


def test_on_duty_follows_days_absences_and_bank_holidays() -> None:
    """Weekends, Christmas and an absence take officers off; the rest are on duty."""
    a, b = officer("A"), officer("B", shift_start_min=14 * 60, shift_end_min=22 * 60)
    away = Absence(officer_id="B", start=MON, end=MON, reason="court")
    cal = DutyCalendar([b, a], [away], MON, SUN)
    assert [o.officer_id for o in cal.on_duty(MON)] == ["A"]
    assert [o.officer_id for o in cal.on_duty(date(2026, 12, 22))] == ["A", "B"]
    assert cal.on_duty(date(2026, 12, 25)) == []  # Christmas Day
    assert cal.why_off(b, MON) == "officer B absent (court) on 2026-12-21"
    assert cal.duty_days == frozenset(
        {MON, date(2026, 12, 22), date(2026, 12, 23), date(2026, 12, 24)}
    )
    assert cal.shift_hours() == 8 * 4 + 8 * 3  # A four days, B three
    assert shift_minutes(b) == 480
    worked = DutyCalendar([a], [], MON, SUN, work_bank_holidays=True)
    assert worked.works(a, date(2026, 12, 25))


def _imports(path: Path) -> set[str]:
    """Modules of the package a file imports, at load or inside a function (not the ones
    under `if TYPE_CHECKING:`, which never run)."""
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rso_scheduler"):
            out.add(node.module or "")
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("rso_scheduler"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return out


def test_calendar_rules_demand_have_no_import_circle() -> None:
    """calendar -> rules -> demand -> calendar is broken: the duty calendar sits above rules."""
    root = Path(__file__).resolve().parents[1] / "rso_scheduler"
    graph = {
        f"rso_scheduler.{name}": _imports(root / f"{name}.py")
        for name in ("calendar", "rules", "demand", "duty", "policy", "models")
    }

    def reaches(src: str, dst: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            n == dst or (n in graph and n not in seen and reaches(n, dst, seen | {n}))
            for n in graph.get(src, ())
        )

    assert not any(reaches(m, m) for m in graph)
