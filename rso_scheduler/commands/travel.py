"""`rso travel`: how well a road network covers the data, and the straight line that fits it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click
import numpy as np

from rso_scheduler.commands.common import (
    Progress,
    UserError,
    data_dir_or_here,
    handle_errors,
    today_option,
)
from rso_scheduler.limits import MAX_SEED

HELP = """Compare road travel with the straight-line model for a data folder.

\b
Examples:
  rso travel data/tvp                              # the policy's [travel] network
  rso travel data/tvp --network tvp.osm.pbf         # try an extract, whatever the policy
  rso travel data/tvp --pairs 500 --seed 2 --json

\b
Prints (never coordinates):
  coverage   homes and bases snapped to the road network, how far (median, 95th
             percentile, largest), and any the network cannot reach
  sample     road against straight-line minutes and km for a fixed sample of
             journeys (base to home and home to home; --seed picks another)
  fit        the circuity and speed_kmh that best fit the sample, for a force
             that keeps [travel] model = "haversine"

\b
The road matrix is computed on this machine (nothing is sent anywhere) and cached in
DATA_DIR/.rso-cache/, so `rso plan` with the same extract reuses it. With
[travel] model = "matrix" the force's own travel.csv is compared instead.
"""


def _fit(straight_km: np.ndarray, road_km: np.ndarray, road_min: np.ndarray) -> dict[str, float]:
    """Least squares through the origin: road km = c x straight km, minutes = k x straight km."""
    ss = float(np.dot(straight_km, straight_km))
    circuity = float(np.dot(road_km, straight_km)) / ss
    per_km = float(np.dot(road_min, straight_km)) / ss  # minutes per straight-line km
    return {"circuity": round(circuity, 3), "speed_kmh": round(circuity * 60 / per_km, 1)}


def _sample(n_places: tuple[int, int], pairs: int, seed: int) -> list[tuple[int, int]]:
    """Deterministic (from, to) index pairs: half base to home, half home to home."""
    n_bases, n_homes = n_places
    rng = np.random.default_rng(seed)
    out: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    tries = 0
    while len(out) < pairs and tries < pairs * 20:
        tries += 1
        if len(out) % 2 == 0 and n_bases:
            a = int(rng.integers(n_bases))
        else:
            a = n_bases + int(rng.integers(n_homes))
        b = n_bases + int(rng.integers(n_homes))
        if a != b and (a, b) not in seen:
            seen.add((a, b))
            out.append((a, b))
    return out


def _quantiles(values: np.ndarray) -> dict[str, float]:
    if not len(values):
        return {"median": 0.0, "p95": 0.0, "max": 0.0}
    return {
        "median": round(float(np.percentile(values, 50)), 1),
        "p95": round(float(np.percentile(values, 95)), 1),
        "max": round(float(values.max()), 1),
    }


def travel_report(dataset: Any, travel: Any, pairs: int, seed: int) -> dict[str, Any]:
    """Coverage, sample and fit as plain data (no coordinates)."""
    from rso_scheduler.geo import haversine_km
    from rso_scheduler.travel import HaversineTravel, base, home

    bases = [base(o) for o in dataset.officers]
    homes = [home(p) for p in dataset.offenders]
    places = bases + homes
    report: dict[str, Any] = {"model": travel.model, "travel": travel.record()}
    if travel.snap_m is not None:
        cover: dict[str, Any] = {}
        for name, group in (("homes", homes), ("bases", bases)):
            rows = np.asarray([travel.row(p) for p in group], dtype=int)
            snap = travel.snap_m[rows] if len(rows) else np.zeros(0)
            cover[name] = {
                "count": len(group),
                "snap_m": _quantiles(snap),
                "not_joined": int((~travel.joined[rows]).sum()) if len(rows) else 0,
            }
        report["coverage"] = cover
    straight = HaversineTravel(dataset.policy.travel)
    rows_out = []
    for i, j in _sample((len(bases), len(homes)), pairs, seed):
        a, b = places[i], places[j]
        fb = travel.fallback is not None and bool(travel.fallback[travel.row(a), travel.row(b)])
        s_km = haversine_km(a.lat, a.lon, b.lat, b.lon)
        rows_out.append(
            {
                "from_id": a.id,
                "to_id": b.id,
                "kind": "base-home" if i < len(bases) else "home-home",
                "model_min": travel.minutes(a, b),
                "model_km": round(travel.km(a, b), 2),
                "straight_km": round(s_km, 2),
                "policy_min": straight.minutes(a, b),
                "straight_line_fallback": fb,
            }
        )
    report["sample"] = rows_out
    usable = [r for r in rows_out if not r["straight_line_fallback"] and r["straight_km"] > 0.05]
    if usable:
        s = np.asarray([r["straight_km"] for r in usable])
        k = np.asarray([r["model_km"] for r in usable])
        m = np.asarray([r["model_min"] for r in usable], dtype=float)
        fit = _fit(s, k, m)
        fitted = np.ceil(s * fit["circuity"] / fit["speed_kmh"] * 60 - 1e-9)
        policy_min = np.asarray([r["policy_min"] for r in usable], dtype=float)
        report["fit"] = {
            **fit,
            "pairs": len(usable),
            "ratio_km": _quantiles(k / s),
            "fitted_abs_error_min": _quantiles(np.abs(fitted - m)),
            "policy_abs_error_min": _quantiles(np.abs(policy_min - m)),
            "policy": {
                "circuity": dataset.policy.travel.circuity,
                "speed_kmh": dataset.policy.travel.speed_kmh,
            },
        }
    return report


def _text(report: dict[str, Any], shown: int) -> str:
    lines = [f"Travel model: {report['model']}"]
    rec = report["travel"]
    if "coverage" in report:
        lines.append(
            f"Road network {rec.get('network')}: {rec.get('road_nodes', 0):,} nodes, "
            f"{rec.get('road_links', 0):,} one-way links; matrix cache {rec.get('cache')}"
        )
        lines.append("Coverage (distance from each point to its nearest drivable road, metres):")
        lines.append(
            f"  {'':<6} {'count':>6} {'median':>8} {'95th':>8} {'max':>8} {'not joined':>11}"
        )
        for name, c in report["coverage"].items():
            q = c["snap_m"]
            lines.append(
                f"  {name:<6} {c['count']:>6} {q['median']:>8.0f} {q['p95']:>8.0f} "
                f"{q['max']:>8.0f} {c['not_joined']:>11}"
            )
    for note in rec.get("notes", []):
        lines.append(f"Note: {note}")
    sample = report["sample"]
    lines.append(f"Sample: {len(sample)} journeys (first {min(shown, len(sample))} shown)")
    lines.append(
        f"  {'from':<10} {'to':<10} {'min':>5} {'km':>7} {'straight km':>12} {'policy min':>11}"
    )
    for r in sample[:shown]:
        flag = "  (straight line)" if r["straight_line_fallback"] else ""
        lines.append(
            f"  {r['from_id']:<10} {r['to_id']:<10} {r['model_min']:>5} {r['model_km']:>7.1f} "
            f"{r['straight_km']:>12.1f} {r['policy_min']:>11}{flag}"
        )
    fit = report.get("fit")
    if fit:
        lines.append(
            f"Best straight-line fit over {fit['pairs']} journeys: circuity = {fit['circuity']}, "
            f"speed_kmh = {fit['speed_kmh']} (policy now: circuity = {fit['policy']['circuity']}, "
            f"speed_kmh = {fit['policy']['speed_kmh']:g})"
        )
        rk = fit["ratio_km"]
        lines.append(
            f"  road km / straight km: median {rk['median']}, 95th {rk['p95']}, max {rk['max']}"
        )
        fe, pe = fit["fitted_abs_error_min"], fit["policy_abs_error_min"]
        lines.append(
            f"  minutes off the road time: fitted median {fe['median']}, 95th {fe['p95']}; "
            f"policy median {pe['median']}, 95th {pe['p95']}"
        )
    else:
        lines.append("No journey in the sample has a road time to fit.")
    return "\n".join(lines)


@click.command("travel", help=HELP)
@click.argument("data_dir", required=False, type=click.Path(path_type=Path))
@click.option(
    "--network",
    metavar="PATH.osm.pbf",
    help="An OpenStreetMap extract (relative to DATA_DIR) instead of the policy's.",
)
@click.option(
    "--pairs",
    type=click.IntRange(1, 100_000),
    default=200,
    show_default=True,
    help="Journeys in the sample timed both ways (road and straight line).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    default=0,
    show_default=True,
    help="Picks the sample of journeys; the same seed gives the same sample.",
)
@click.option(
    "--show",
    type=click.IntRange(0, 1000),
    default=10,
    show_default=True,
    help="Sample journeys listed one by one.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@today_option("No completed visit may be after it.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@handle_errors
def command(
    data_dir: Path | None,
    today: date,
    network: str | None,
    pairs: int,
    seed: int,
    show: int,
    as_json: bool,
    quiet: bool,
) -> None:
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.policy import TravelPolicy
    from rso_scheduler.travel import build_travel

    progress = Progress(not quiet)
    data_dir = data_dir_or_here(data_dir, "rso travel data/tvp --network tvp.osm.pbf")
    progress(f"loading {data_dir}")
    dataset = load_dataset(data_dir, today=today)
    for w in dataset.warnings:
        click.echo(f"warning: {w}", err=True)
    policy = dataset.policy
    if network is not None:
        if not network.lower().endswith(".pbf"):
            raise UserError(f"--network: '{network}' is not an .osm.pbf extract", 2)
        tp = policy.travel.model_dump()
        tp.update(model="road", network=network, file=None)
        policy = policy.model_copy(update={"travel": TravelPolicy.model_validate(tp)})
    elif policy.travel.model == "haversine":
        raise UserError(
            'the policy uses the straight-line model ([travel] model = "haversine"); name an '
            "extract to compare with --network PATH.osm.pbf",
            2,
        )
    travel = build_travel(policy, dataset, data_dir, progress=progress)
    report = travel_report(dataset, travel, pairs, seed)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(_text(report, show))
