"""`rso map`: redraw the offline route maps of a plan folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from rso_scheduler.commands.common import (
    Progress,
    UserError,
    handle_errors,
    parse_iso_date,
    plan_today,
    run_travel,
    today_option,
)

HELP = """Redraw the offline route maps of a plan folder into OUT/maps/.

\b
Examples:
  rso map out
  rso map out --data data/sample
  rso map out --day 2027-01-12
  rso map out --tiles 'https://tiles.force.example/{z}/{x}/{y}.png' --attribution 'Force GIS'

\b
Reads OUT/roster.csv, unscheduled.csv, summary.json and run.json (written by `rso plan`)
and the data folder the plan was made from (default: the data_dir recorded in run.json).
Writes OUT/maps/index.html (the whole period: a layer per day and per crew, stations, area
outlines, people left unscheduled and a heat layer of their owed visits; it opens on the
first day with routes, or on --day), OUT/maps/days.html,
a printable page per crew-day, OUT/maps/<date>/<crew>.html, and the scripts and styles they
share (Leaflet and its licence) once, in OUT/maps/assets/. OUT/maps is replaced whole,
atomically; move or copy it as one folder.

\b
The pages are OFFICIAL-SENSITIVE and fully offline: they load only the files in
OUT/maps/assets/ and nothing from elsewhere. By default there is no background map;
--tiles (or policy.toml [maps] tiles) points at a force's own tile server, whose host must be
listed in policy.toml [maps] tile_hosts; only that server may be contacted.
"""


@click.command("map", help=HELP)
@click.argument("out_dir", metavar="OUT", type=click.Path(path_type=Path))
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The data folder the plan was made from (default: data_dir in OUT/run.json).",
)
@click.option(
    "--tiles",
    default=None,
    metavar="URL",
    help="Tile URL template of a force's own tile server (its host in [maps] tile_hosts), "
    "e.g. https://tiles.example/{z}/{x}/{y}.png.",
)
@click.option("--attribution", default=None, metavar="TEXT", help="Attribution text for the tiles.")
@click.option(
    "--day",
    default=None,
    metavar="YYYY-MM-DD",
    help="The day whose routes the whole-period map opens on (default: the first with routes).",
)
@today_option(
    "No completed visit in the data folder may be after it.",
    from_plan=True,
)
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@handle_errors
def command(
    out_dir: Path,
    data_dir: Path | None,
    tiles: str | None,
    attribution: str | None,
    day: str | None,
    today: date | None,
    quiet: bool,
) -> None:
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.outputs.files import staged_output
    from rso_scheduler.outputs.maps import tile_origin, write_maps
    from rso_scheduler.outputs.roster_files import read_roster

    progress = Progress(not quiet)
    first_day = parse_iso_date(day, "--day") if day is not None else None
    if tiles is not None:
        tile_origin(tiles)  # the policy's check, before anything is read
    if not (out_dir / "roster.csv").is_file():
        raise UserError(
            f"{out_dir}: no roster.csv here; expected the --out folder of `rso plan`", 2
        )
    progress(f"reading the plan in {out_dir}")
    files = read_roster(out_dir)
    if data_dir is None:
        recorded = files.run.get("data_dir")
        if not recorded:
            raise UserError("run.json records no data_dir; give the data folder with --data", 2)
        data_dir = Path(recorded)
        if not data_dir.is_dir():
            raise UserError(
                f"the data folder recorded in run.json ({data_dir}) is not there; give it with --data",
                2,
            )
    progress(f"loading {data_dir}")
    dataset = load_dataset(data_dir, today=plan_today(today, files.run))
    travel = run_travel(dataset, data_dir, progress)
    progress(f"drawing {len(files.visits)} visits and {len(files.unscheduled)} unscheduled")
    # refused if a plan replaced the roster meanwhile: maps of it would sit beside another
    with staged_output(out_dir, expect={"roster.csv": files.roster_sha256}) as stage:
        written = write_maps(
            stage,
            dataset,
            files,
            tiles=tiles,
            attribution=attribution,
            day=first_day,
            travel=travel,
        )
    progress("done")
    pages = sum(1 for p in written if p.suffix == ".html")
    click.echo(f"{pages} map pages in {out_dir / 'maps'}; open {out_dir / 'maps' / 'index.html'}")
