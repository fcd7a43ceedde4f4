"""The `rso` command line: a thin layer over the library (see `rso --help`)."""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

from rso_scheduler import __version__

HELP = """Plan, map and audit home visits to registered sex offenders (RSOs).

\b
Quick start:
  rso validate data/sample                 check a data folder and summarise it
  rso plan data/sample --month 2027-01 --out out
  rso check data/sample out                re-derive every rule of a roster
  rso replan out --from 2027-01-12 --out out/replan   re-plan around sickness
  rso report compliance data/sample --as-of 2026-11-20 --out out/compliance
  rso scenario run scenarios/*.toml --out out/scenarios

Every command has --help with examples.
"""


# Each command lives in rso_scheduler/commands/<module>.py as `command`; imported when used.
COMMANDS: dict[str, str] = {
    "validate": "validate",
    "generate": "generate",
    "plan": "plan",
    "replan": "replan",
    "check": "check",
    "map": "map",
    "report": "report",
    "scenario": "scenario",
    "travel": "travel",
    "outcomes": "outcomes",
    "record": "record",
    "audit": "audit",
    "serve": "serve",
    "history": "history",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, so `rso --version` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        cmd: Any = importlib.import_module(f"rso_scheduler.commands.{module}").command
        self.add_command(cmd, cmd_name)
        return cmd


@click.group(
    cls=LazyGroup,
    help=HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="rso")
@click.option(
    "-v", "--verbose", is_flag=True, help="Log more detail on stderr (never coordinates)."
)
def main(verbose: bool) -> None:
    from rso_scheduler import signals

    signals.install()  # Ctrl-C and SIGTERM: stop, say what was left, exit 130 / 143
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
