"""The command line as a whole: every command has help with an example."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from rso_scheduler.cli import COMMANDS, main


def _all_commands() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        cmd = main.get_command(ctx, name)
        assert cmd is not None
        paths.append((name,))
        if isinstance(cmd, click.Group):
            sub_ctx = click.Context(cmd)
            paths.extend((name, sub) for sub in cmd.list_commands(sub_ctx))
    return paths


def test_every_registered_command_is_listed() -> None:
    """Each entry of the registry resolves to a command."""
    assert {p[0] for p in _all_commands()} == set(COMMANDS)


@pytest.mark.parametrize("path", _all_commands(), ids=" ".join)
def test_every_command_has_help_with_example(path: tuple[str, ...]) -> None:
    """`rso <command> --help` works and shows an example invocation."""
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "rso " + " ".join(path) in result.output.replace("\n", " ")
    assert "xample" in result.output


def test_version() -> None:
    """`rso --version` prints the package version."""
    from rso_scheduler import __version__

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def _leaf(path: tuple[str, ...]) -> click.Command:
    cmd: click.Command | None = main
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.get_command(click.Context(cmd), name)
    assert cmd is not None
    return cmd


@pytest.mark.parametrize(
    "path",
    [p for p in _all_commands() if not isinstance(_leaf(p), click.Group)],
    ids=" ".join,
)
def test_quiet_has_the_same_short_form_everywhere(path: tuple[str, ...]) -> None:
    """Every command that reports progress takes both -q and --quiet (a supervisor uses either)."""
    opts = {o for p in _leaf(path).params for o in getattr(p, "opts", [])}
    if "--quiet" in opts:
        assert "-q" in opts


@pytest.mark.parametrize(
    "path",
    [p for p in _all_commands() if not isinstance(_leaf(p), click.Group)],
    ids=" ".join,
)
def test_every_option_says_what_it_does(path: tuple[str, ...]) -> None:
    """Every option of every command has help text (a bare `--seed INTEGER` tells no one what it seeds)."""
    bare = [
        p.opts[0]
        for p in _leaf(path).params
        if isinstance(p, click.Option) and not (p.help or "").strip()
    ]
    assert bare == []


def test_plan_help_names_every_roster_column() -> None:
    """`rso plan --help` lists every extra column roster.csv is written with."""
    from rso_scheduler.outputs.roster_files import ROSTER_EXTRA_COLUMNS

    text = " ".join(CliRunner().invoke(main, ["plan", "--help"]).output.split())
    assert [c for c in ROSTER_EXTRA_COLUMNS if c not in text] == []


def test_generate_command_imports_no_solver() -> None:
    """`rso generate` starts without importing OR-Tools or the solver (MAX_SEED lives in limits)."""
    import subprocess
    import sys

    code = (
        "import sys, rso_scheduler.commands.generate; "
        "print(sorted(m for m in sys.modules if m.startswith(('ortools', 'rso_scheduler.solver'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_time_limit_help_says_how_each_command_spends_it() -> None:
    """plan's long periods go month by month; a re-plan stays one model, and its help says so."""
    plan = " ".join(CliRunner().invoke(main, ["plan", "--help"]).output.split())
    replan = " ".join(CliRunner().invoke(main, ["replan", "--help"]).output.split())
    assert "planned month by month, with this limit for each month" in plan
    assert "month by month" not in replan and "one model however long the period" in replan
