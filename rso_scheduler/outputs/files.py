"""Safe output files: owner-only permissions, atomic replacement, formula-neutral CSV cells.

`staged_output(out_dir)` gives a private staging folder beside `out_dir`; only when the block
finishes without an exception are its files moved into `out_dir` (each by an atomic rename),
so a failed run never leaves half a roster. Files are created 0600 and folders 0700.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rso_scheduler.errors import OutputError

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (OWASP CSV injection guidance).

    Numbers stay numbers; a string starting with = + - @ tab or CR gets a leading apostrophe.
    Plain negative numbers written as text (e.g. "-3") are left alone.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in _FORMULA_START:
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def unneutralise(value: str) -> str:
    """The text `safe_cell` was given: drops the apostrophe it put before a formula-like cell."""
    if value.startswith("'") and len(value) > 1 and value[1] in _FORMULA_START:
        return value[1:]
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (UTF-8, comma, header row, \\n line ends) with every cell neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([safe_cell("" if v is None else v) for v in row])
    return buf.getvalue()


def write_private(path: Path, data: str | bytes) -> None:
    """Write a file readable by the owner only, atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    write_private(path, csv_text(header, rows))


def write_json(path: Path, data: Any) -> None:
    write_private(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def _chmod_tree(root: Path) -> None:
    os.chmod(root, DIR_MODE)
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), DIR_MODE)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), FILE_MODE)


def check_out_dir(out_dir: Path) -> None:
    """Fail early (before any long work) if `out_dir` cannot become an output folder.

    It must be a folder or not exist yet; its nearest existing parent must be a writable folder.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"--out {out_dir} is a file, not a folder; give a folder to write into")
    probe = out_dir.resolve()
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"cannot write to {out_dir}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to {out_dir}: {probe} is not writable by you")


def _make_private_dirs(path: Path) -> None:
    """Create `path` and any missing parents owner-only (mkdir's mode covers only the leaf)."""
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            d.mkdir(mode=DIR_MODE)
        os.chmod(d, DIR_MODE)  # mkdir's mode is narrowed by the umask, never widened


def _narrow(folder: Path, ours: set[str]) -> None:
    """Make an existing output folder 0700 if it holds only outputs of this kind (`ours`).

    A folder that also holds other things (a home folder, /tmp, a shared drive) is someone's
    wider space: its mode is left alone, with a warning if others can list it. The files
    written into it are 0600 either way.
    """
    st = folder.stat()
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077 == 0:
        return
    others = [e for e in os.listdir(folder) if e not in ours and not e.startswith(".rso-")]
    shared = st.st_mode & (stat.S_ISVTX | stat.S_IWOTH)
    if not others and not shared and st.st_uid == os.getuid():
        os.chmod(folder, DIR_MODE)
        return
    log.warning(
        "%s is open to others (mode %04o) and holds other files, so it was left as it is; "
        "the files written are private (0600) but others can see their names",
        folder,
        mode,
    )


@contextlib.contextmanager
def staged_output(out_dir: Path, replaces: Iterable[str] = ()) -> Iterator[Path]:
    """Yield a private staging folder; on success move its contents into `out_dir`.

    Top-level entries of the staging folder replace those of the same name in `out_dir`
    (a folder such as `maps/` is replaced whole). On any exception nothing in `out_dir` changes.
    Folders the call creates are 0700; an existing `out_dir` is narrowed to 0700 when it holds
    only outputs of this kind (see `_narrow`).
    `replaces`: every top-level name this kind of run may write; any of them this run did not
    write is removed on success, so a stale file of an earlier run (maps after `--no-maps`, a
    trend table after a report without `--trend`) never sits beside the new outputs.
    """
    check_out_dir(out_dir)
    out_dir = Path(out_dir)
    # Stage inside an existing out_dir (same file system, and `--out .` must not need the
    # parent to be writable); beside it when it is still to be made.
    parent = out_dir.resolve() if out_dir.is_dir() else out_dir.resolve().parent
    try:
        _make_private_dirs(parent)
        stage = Path(tempfile.mkdtemp(dir=parent, prefix=".rso-staging-"))
    except OSError as exc:
        raise OutputError(f"cannot write to {out_dir}: {exc.strerror}") from None
    try:
        os.chmod(stage, DIR_MODE)
        yield stage
        _chmod_tree(stage)
        _make_private_dirs(out_dir)
        produced = {entry.name for entry in stage.iterdir()}
        for entry in sorted(stage.iterdir()):
            target = out_dir / entry.name
            if target.is_dir() and not target.is_symlink() and entry.is_dir():
                old = Path(tempfile.mkdtemp(dir=parent, prefix=".rso-old-"))
                os.replace(target, old / entry.name)
                os.replace(entry, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(entry, target)
        for name in sorted(set(replaces) - produced):
            stale = out_dir / name
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale)
            elif stale.exists() or stale.is_symlink():
                stale.unlink()
        _narrow(out_dir, produced | set(replaces))
    except OSError as exc:
        raise OutputError(f"cannot write to {out_dir}: {exc.strerror}") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
