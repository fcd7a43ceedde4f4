"""`rso serve`: the workbench, the month in a browser over the data folder's record."""

from __future__ import annotations

import ipaddress
import logging
from datetime import date
from pathlib import Path

import click

from rso_scheduler.commands.common import UserError, data_dir_or_here, handle_errors, today_option

HELP = """Open the workbench: the month in a browser, for supervisors (and its JSON API).

\b
Examples:
  rso serve data/sample
  rso serve data/team --port 8765

\b
Serves the plans in DATA_DIR's record (made by `rso plan` and `rso replan`): the month by
officer and day, each day's route maps, each visit's detail; moving, pinning and taking out
visits (each checked at once by the planner's rules and the independent checker, refused with
the rule's name, or recorded with its reason and its effect on lateness and travel); re-planning
from a date; recording outcomes as `rso record` does; a person's history, the audit trail and
compliance, read only. See the README's "Workbench" section for the API.

\b
It listens on 127.0.0.1 (this computer only) and prints an address holding a sign-in token:
open it in a browser on this computer. Nothing answers without it; it opens a session each
time it is opened, until the server stops, so keep it to yourself. Ctrl+C stops the server.
--host 0.0.0.0 or another address lets other computers on the network reach it: anyone who
can reach the port and learns the address can then read and change the plan, over plain HTTP
that anyone on the network path can read. Do that only behind a force's own TLS proxy.
"""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve", help=HELP)
@click.argument("data_dir", required=False, type=click.Path(path_type=Path))
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--record",
    "record_file",
    type=click.Path(path_type=Path),
    help="The record file (default: $RSO_RECORD, else DATA_DIR/.rso/record.sqlite).",
)
@today_option("No outcome may be dated after it.")
@handle_errors
def command(
    data_dir: Path | None, port: int, host: str, record_file: Path | None, today: date
) -> None:
    import uvicorn

    from rso_scheduler.ingest import data_folder
    from rso_scheduler.web.app import create_app
    from rso_scheduler.web.bench import Workbench
    from rso_scheduler.web.security import Sessions

    root = data_folder(data_dir_or_here(data_dir, "rso serve data/sample"))
    bench = Workbench(root, record_file, today)
    with bench.store() as store:  # opened (and made owner-only) before anything is served
        where = store.path
    if not _loopback(host):
        click.echo(
            f"warning: listening on {host}, not 127.0.0.1: other computers that can reach port "
            f"{port} can use the workbench with the address below, over plain HTTP (readable on "
            "the network). Use this only behind your force's own TLS proxy.",
            err=True,
        )
    shown = f"[{host}]" if ":" in host else host
    sessions = Sessions()
    allowed = [f"{shown}:{port}"]
    if host == "127.0.0.1":
        allowed.append(f"localhost:{port}")
    app = create_app(bench, sessions, allowed, today=today)
    click.echo(f"Record: {where}")
    click.echo(f"Workbench for {root}: open http://{shown}:{port}/?token={sessions.token}")
    click.echo(
        "(The address holds the sign-in token until the server stops: do not share it. "
        "Ctrl+C stops.)"
    )
    # uvicorn's access log prints each request's address with its query string (the token):
    # off; its error log keeps only warnings.
    logging.getLogger("uvicorn.access").disabled = True
    try:
        uvicorn.run(
            app, host=host, port=port, access_log=False, log_level="warning", log_config=None
        )
    except OSError as exc:  # the port is taken, the address is not this computer's
        raise UserError(f"cannot listen on {shown}:{port}: {exc.strerror or exc}", 2) from None
