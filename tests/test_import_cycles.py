"""No import circles: the package's modules form a graph with no cycle (leaves at the bottom)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rso_scheduler"
# Packages whose every import, even one inside a function, must keep them out of any circle.
STRICT = ("rso_scheduler.input", "rso_scheduler.geo")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.Module, deep: bool) -> list[ast.Import | ast.ImportFrom]:
    """Import statements run when the module loads (under `if`/`try` too), or all if `deep`;
    never those under `if TYPE_CHECKING:`."""
    out: list[ast.Import | ast.ImportFrom] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                out.append(node)
            elif deep or isinstance(node, ast.If | ast.Try | ast.With):
                for attr in ("body", "orelse", "finalbody"):
                    visit(getattr(node, attr, None) or [])
                for handler in getattr(node, "handlers", None) or []:
                    visit(handler.body)

    visit(tree.body)
    return out


def _imports(
    tree: ast.Module, module: str, is_package: bool, modules: set[str], deep: bool
) -> set[str]:
    """Modules of the package that `module` imports."""
    package = module if is_package else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in _import_nodes(tree, deep):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
        found.add(base)
        found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m in modules and m != module}


def _graph(deep_for: tuple[str, ...] = ()) -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deep = any(name == s or name.startswith(s + ".") for s in deep_for)
        graph[name] = _imports(tree, name, path.name == "__init__.py", modules, deep)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = dfs(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = dfs(node)
            if found:
                return found
    return None


def test_find_cycle_finds_a_planted_circle() -> None:
    """The detector itself: a -> b -> c -> a is found, a tree is not."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_imports_inside_functions_only_when_deep() -> None:
    """A late import (inside a function) is an edge of the deep graph, not of the plain one."""
    plain, deep = _graph(), _graph(deep_for=("rso_scheduler.input",))
    late = "rso_scheduler.input.gazetteer"
    assert "rso_scheduler.input.cells" in plain[late]
    assert "rso_scheduler.input.files" in plain["rso_scheduler.policy"]
    assert deep[late] >= plain[late]


def test_no_module_level_import_cycle_in_the_package() -> None:
    """rso_scheduler's modules import each other (at module level) without a circle."""
    cycle = find_cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


@pytest.mark.parametrize("strict", STRICT)
def test_input_package_and_geo_are_in_no_circle_even_through_late_imports(strict: str) -> None:
    """The input package and geo: no circle even counting imports inside functions."""
    graph = _graph(deep_for=STRICT)
    cycle = find_cycle(graph)
    assert cycle is None or not any(m == strict or m.startswith(strict + ".") for m in cycle), (
        " -> ".join(cycle or [])
    )
