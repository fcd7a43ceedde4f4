"""`rso audit`: the record's trail, and a check that no entry was altered, deleted or moved."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rso_scheduler.commands.common import UserError, handle_errors
from rso_scheduler.commands.cycle_steps import existing_record, record_option

HELP = """List the record's audit trail, or verify it has not been tampered with.

\b
Examples:
  rso audit data/team
  rso audit data/team --verify
  rso audit data/team --verify --head 3db1735caff01cf5087dbd54334e97ee25d9834acc79b0009199a62b3e89d169
  rso audit data/team --json > trail.json
  RSO_RECORD=/secure/team.sqlite rso audit data/team --verify

\b
The record (DATA_DIR/.rso/record.sqlite unless --record or $RSO_RECORD say otherwise) holds
every plan and re-plan issued, every change with its reason, every outcome recorded and every
report made, each with its time (UTC), user and command line. Each entry's hash covers its
content and the hash before it: --verify recomputes the chain and exits 1 naming the first
entries altered, deleted or reordered. Keep the head printed by --verify: entries cut off the
end leave a shorter chain that is whole, found by giving that head to a later --verify --head.
"""


@click.command("audit", help=HELP)
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--verify", is_flag=True, help="Check the hash chain; exit 1 if it is broken.")
@click.option(
    "--head",
    "kept_head",
    metavar="HASH",
    help="With --verify: a head printed earlier; fail if it is no longer in the chain.",
)
@click.option("--json", "as_json", is_flag=True, help="The trail as JSON on stdout.")
@record_option
@handle_errors
def command(
    data_dir: Path, verify: bool, kept_head: str | None, as_json: bool, record_file: Path | None
) -> None:
    from rso_scheduler.record import trail

    with existing_record(data_dir, record_file) as store:
        if verify:
            problems = store.verify()
            seq, head = store.head()
            if kept_head and kept_head.strip().lower() not in {e.hash for e in store.entries()}:
                problems.append(
                    f"the head kept earlier ({kept_head.strip()[:12]}...) is not in the chain: "
                    "entries were cut off the end, or the record was replaced"
                )
            if problems:
                for p in problems:
                    click.echo(p, err=True)
                raise UserError(
                    f"the record {store.path} FAILED verification: {len(problems)} break"
                    f"{'s' if len(problems) != 1 else ''} in the chain of {seq} entries",
                    1,
                )
            click.echo(f"verified: {seq} entries, chain whole; head {head}")
            return
        rows = trail(store)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['entry']:>5}  {r['at']}  {r['user']:<12} {r['gist']}")
        click.echo(f"       {r['command']}")
    click.echo(f"{len(rows)} entries in {store.path}")
