"""Dask for scenarios, closed to everyone else on the machine.

Dask's plain TCP comms carry no authentication: any local process that reaches a scheduler's
port can submit code that runs as the analyst (and read offenders.csv). So `--dask local`
starts a cluster that speaks only mutual TLS with throw-away credentials made for this run
(`Security.temporary()`: a client without them cannot even finish the handshake), has no
dashboard, and keeps its scratch files in an owner-only folder removed afterwards. A scheduler
named by address is reached only over `tls://` (with Dask's TLS configured), or `inproc://`
inside this process; plain `tcp://` is refused, even to this machine.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

from rso_scheduler.errors import ScenarioError

SCRATCH_PREFIX = "rso-dask-"


def distributed_module() -> Any:
    """`dask.distributed`, or a ScenarioError saying how to install it."""
    try:
        return importlib.import_module("dask.distributed")
    except ModuleNotFoundError:
        raise ScenarioError(
            'the Dask backend needs dask[distributed]: pip install "dask[distributed]" '
            '(or pip install "rso-scheduler[dask]")'
        ) from None


def check_dask_address(address: str) -> None:
    """Refuse a scheduler anyone could reach without credentials (raises ScenarioError).

    Scenarios carry home locations (OFFICIAL-SENSITIVE): `local` (a private TLS cluster), a
    `tls://` address (with Dask's TLS configured) or `inproc://` (this process) only.
    """
    if address == "local":
        return
    scheme, sep, _rest = address.rpartition("://")
    scheme = scheme.lower() if sep else ""
    if scheme in ("tls", "inproc"):
        return
    if scheme in ("", "tcp"):
        raise ScenarioError(
            f"--dask {address}: plain TCP carries no authentication, so anyone who can reach "
            "that port (another user of this machine too) could run code as you and read home "
            "locations unencrypted; use a tls:// address (with Dask's TLS configured) or "
            "--dask local"
        )
    raise ScenarioError(
        f"--dask {address}: '{scheme}' is not a Dask protocol; expected tls://HOST:PORT or 'local'"
    )


def _scratch_folder() -> str:
    """A new owner-only folder for the workers' spill files (mkdtemp makes it 0700)."""
    folder = tempfile.mkdtemp(prefix=SCRATCH_PREFIX)
    os.chmod(folder, 0o700)
    return folder


@contextlib.contextmanager
def private_local_cluster(n_workers: int) -> Iterator[Any]:
    """A local Dask cluster only this run can use; yields a connected `Client`.

    Workers are processes on 127.0.0.1 speaking mutual TLS with credentials made for this run;
    no dashboard (its pages need no login); scratch space in a private folder, deleted after.
    """
    distributed = distributed_module()
    try:
        importlib.import_module("cryptography")
    except ModuleNotFoundError:
        raise ScenarioError(
            "--dask local makes its own TLS credentials and needs the cryptography package: "
            'pip install cryptography (or pip install "rso-scheduler[dask]")'
        ) from None
    scratch = _scratch_folder()
    cluster = client = None
    # the scheduler (in this process) reads its scratch place from the config, workers from
    # local_directory: both go to the private folder
    config = importlib.import_module("dask").config.set({"temporary-directory": scratch})
    try:
        cluster = distributed.LocalCluster(
            n_workers=max(1, n_workers),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            protocol="tls://",
            security=distributed.Security.temporary(),
            dashboard_address=None,
            local_directory=scratch,
        )
        client = distributed.Client(cluster)
        yield client
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        config.__exit__(None, None, None)
        shutil.rmtree(scratch, ignore_errors=True)
