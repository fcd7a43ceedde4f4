"""The Dask backend of `run_many` gives the same results as running locally."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from rso_scheduler.errors import ScenarioError
from rso_scheduler.scenario_report import comparison_rows, month_rows
from rso_scheduler.scenarios import RunOptions, prepare, run_many
from tests.test_scenarios import make_dataset, scenario

GREEDY = RunOptions(planner="greedy", time_limit_s=5, today=date(2026, 12, 1))


def _jobs() -> list:
    team = make_dataset({"Reading": 4, "Slough": 3}, 300)
    out = []
    for s in (
        scenario(name="base", months=2),
        scenario(name="lose half", months=2, officers={"remove_share": 0.5}),
        scenario(name="grow", months=2, caseload={"growth": 0.2}, seed=3),
    ):
        ds, start = prepare(s, team, GREEDY)
        out.append((s, ds, start))
    return out


def test_dask_local_cluster_matches_local_run() -> None:
    """An in-process LocalCluster (inproc://) returns the same tables as the in-process run."""
    distributed = pytest.importorskip("dask.distributed")
    jobs = _jobs()
    local = run_many(jobs, GREEDY, n_jobs=1)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        protocol="inproc://",
    ) as cluster:
        assert cluster.scheduler_address.startswith("inproc://")
        remote = run_many(jobs, GREEDY, dask_address=cluster.scheduler_address)
    assert comparison_rows(remote) == comparison_rows(local)
    assert month_rows(remote) == month_rows(local)
    assert [r.name for r in remote] == ["base", "lose half", "grow"]


def test_process_pool_matches_local_run() -> None:
    """Two worker processes return the same tables, in the order of the jobs."""
    jobs = _jobs()
    local = run_many(jobs, GREEDY, n_jobs=1)
    pooled = run_many(jobs, GREEDY, n_jobs=2)
    assert comparison_rows(pooled) == comparison_rows(local)
    assert month_rows(pooled) == month_rows(local)


@pytest.mark.slow
def test_unreachable_dask_scheduler_is_a_clear_error() -> None:
    """A scheduler address nobody listens on gives a ScenarioError, not a traceback."""
    pytest.importorskip("dask.distributed")
    with pytest.raises(ScenarioError, match="Dask scheduler"):
        run_many(
            _jobs()[:1],
            RunOptions(planner="greedy", time_limit_s=1, today=date(2026, 12, 1)),
            dask_address="tls://127.0.0.1:9",
        )


def test_missing_dask_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without dask installed, --dask says how to install it."""
    import sys

    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ScenarioError, match=r"pip install \"dask\[distributed\]\""):
        run_many(_jobs()[:1], GREEDY, dask_address="local")


@pytest.mark.slow
def test_cli_dask_local_matches_jobs_1(tmp_path, tiny_dir) -> None:  # type: ignore[no-untyped-def]
    """`rso scenario run --dask local` writes the same comparison.csv as a local run."""
    from click.testing import CliRunner

    from rso_scheduler.cli import main

    path = tmp_path / "s.toml"
    path.write_text(
        f'name = "S"\ndata = "{tiny_dir}"\nstart = "2027-01-01"\nmonths = 2\n', encoding="utf-8"
    )
    texts = []
    for extra in (["--jobs", "1"], ["--dask", "local", "--jobs", "1"]):
        out = tmp_path / ("o" + str(len(texts)))
        args = ["scenario", "run", str(path), "--out", str(out), "--planner", "greedy", "-q"]
        result = CliRunner().invoke(main, [*args, *extra])
        assert result.exit_code == 0, result.output
        texts.append((out / "comparison.csv").read_text(encoding="utf-8"))
    assert texts[0] == texts[1]


def test_process_pool_reports_each_month_as_it_goes() -> None:
    """Parallel runs relay every scenario's month lines (named), not only 'done' at the end."""
    jobs = _jobs()
    lines: list[str] = []
    run_many(jobs, GREEDY, n_jobs=2, progress=lines.append)
    for name in ("base", "lose half", "grow"):
        month_lines = [ln for ln in lines if ln.startswith(f"{name}: ") and " due, " in ln]
        assert len(month_lines) == 2, lines
    assert sum(ln.startswith("done ") for ln in lines) == 3


@pytest.mark.slow
def test_local_cluster_refuses_a_client_without_its_credentials() -> None:
    """`--dask local`'s cluster: TLS only, no plain TCP, no client with other credentials."""
    distributed = pytest.importorskip("dask.distributed")
    from rso_scheduler.dask_cluster import private_local_cluster

    with private_local_cluster(1) as client:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert client.submit(sum, [1, 2]).result() == 3  # the run's own client works
        for attempt, security in (
            (address.replace("tls://", "tcp://"), None),  # plain TCP, as another user would
            (address, None),  # TLS without any certificate
            (address, distributed.Security.temporary()),  # TLS with a certificate of its own
        ):
            with pytest.raises((OSError, TypeError, ValueError)):
                distributed.Client(attempt, security=security, timeout="3s")
        places = [client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.local_directory)]
        places += client.run(lambda dask_worker: dask_worker.local_directory).values()
        for place in places:  # every scratch folder sits in the private folder of the run
            private = next(p for p in Path(place).parents if p.name.startswith("rso-dask-"))
            assert stat.S_IMODE(os.stat(private).st_mode) == 0o700
    assert not private.exists()


def test_plain_tcp_scheduler_is_refused() -> None:
    """A tcp:// scheduler, even on 127.0.0.1, is refused before any connection is made."""
    with pytest.raises(ScenarioError, match="no authentication"):
        run_many(_jobs()[:1], GREEDY, dask_address="tcp://127.0.0.1:8786")
