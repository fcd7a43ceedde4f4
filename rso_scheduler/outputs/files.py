"""Safe output files: owner-only permissions, atomic replacement, formula-neutral CSV cells.

`staged_output(out_dir)` gives a private staging folder beside `out_dir`; only when the block
finishes without an exception are its files moved into `out_dir` (each by an atomic rename),
so a failed run never leaves half a roster. Files are created 0600 and folders 0700.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import io
import json
import logging
import os
import re
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rso_scheduler import signals
from rso_scheduler.errors import OutPathError, OutputError
from rso_scheduler.outputs import lock

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
_QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (OWASP CSV injection guidance).

    Numbers stay numbers; a string starting with = + - @ tab, CR or LF gets a leading
    apostrophe, and so does one already starting with an apostrophe, so that `unneutralise`
    gives back exactly what was written (`=X` is written `'=X`, `'=X` is written `''=X`).
    Plain numbers written as text (e.g. "-3", "+1.5") are left alone.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] == _QUOTE:
        return _QUOTE + value
    if value[0] in _FORMULA_START and not _PLAIN_NUMBER.match(value):
        return _QUOTE + value
    return value


def unneutralise(value: str) -> str:
    """The text `safe_cell` was given: drops the one apostrophe it puts before a cell."""
    return value[1:] if value.startswith(_QUOTE) else value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (UTF-8, comma, header row, \\n line ends) with every cell neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    # The writer quotes cells holding the line terminator (\n) but not a bare \r, which a
    # reader would then take as a line end: rows holding one are written fully quoted.
    quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    w.writerow(header)
    for row in rows:
        cells = [safe_cell("" if v is None else v) for v in row]
        if any(isinstance(c, str) and "\r" in c for c in cells):
            quoted.writerow(cells)
        else:
            w.writerow(cells)
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


def check_out_dir(out_dir: Path, files: Iterable[str] = (), folders: Iterable[str] = ()) -> None:
    """Fail early (before any long work) if `out_dir` cannot become an output folder.

    It must be a folder or not exist yet; its nearest existing parent must be a writable folder;
    where the run will write a file of a name in `files` (a folder of a name in `folders`)
    nothing of the other kind may be in the way. Raises `OutPathError` (a bad option, exit 2).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutPathError(f"--out {out_dir} is a file, not a folder; give a folder to write into")
    try:
        probe = out_dir.resolve(strict=False)
    except RuntimeError:  # resolve's "Symlink loop"
        raise OutPathError(_LOOP.format(out_dir=out_dir)) from None
    try:
        os.stat(out_dir)  # a loop of symbolic links is ELOOP here (resolve may pass it by)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutPathError(_LOOP.format(out_dir=out_dir)) from None
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutPathError(f"cannot write to {out_dir}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutPathError(f"cannot write to {out_dir}: {probe} is not writable by you")
    for names, want_dir in ((files, False), (folders, True)):
        for name in names:
            target = out_dir / name
            if _exists(target) and (target.is_symlink() or target.is_dir() != want_dir):
                raise OutPathError(_in_the_way(target, "a folder" if want_dir else "a file"))


_LOOP = "--out {out_dir} cannot be a folder: a loop of symbolic links; give a folder to write into"


def _in_the_way(target: Path, writes: str) -> str:
    return (
        f"{target} is {_kind(target)}, but rso writes {writes} of that name; "
        "move it away or choose another --out (nothing was changed)"
    )


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
    foreign = st.st_uid != os.getuid()
    if not others and not shared and not foreign:
        os.chmod(folder, DIR_MODE)
        return
    why = [
        *(["belongs to another user"] if foreign else []),
        *(["is a shared folder (world-writable or sticky)"] if shared else []),
        *(["holds other files"] if others else []),
    ]
    log.warning(
        "%s is open to others (mode %04o) and %s, so its mode was left as it is; "
        "the files written are private (0600) but others can see their names",
        folder,
        mode,
        " and ".join(why),
    )


MANIFEST = ".rso-manifest.json"  # every path the tool wrote into the folder (its own, removable)
MARKER = ".rso-marker"  # inside a staging or old-set folder: whose it is and how far the swap got
_STAGING_PREFIX = ".rso-staging-"
_OLD_PREFIX = ".rso-old-"
_TOOL = "rso-scheduler"


def _tree(root: Path) -> list[str]:
    """Every path under `root` (files, links and folders), relative, `/`-separated, sorted."""
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for name in dirnames + filenames:
            out.append(name if rel == "." else f"{rel}/{name}".replace(os.sep, "/"))
    return sorted(out)


def _read_manifest(out_dir: Path) -> set[str] | None:
    """The paths the tool wrote into `out_dir` last time, or None if it left no manifest."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    paths = data.get("paths") if isinstance(data, dict) else None
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        return None
    return set(paths)


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _kind(path: Path) -> str:
    if path.is_symlink():
        return "a symbolic link"
    return "a folder" if path.is_dir() else "a file"


def _user_entries(old: Path, new: Path | None, ours: set[str] | None, prefix: str) -> list[str]:
    """Paths under the old output folder `old` that the tool did not write and must keep.

    `ours`: the previous manifest (None: unknown, so only paths the new set writes count as
    the tool's). A path the new set also writes is the tool's name and is replaced.
    """
    keep: list[str] = []
    for entry in sorted(os.listdir(old)):
        rel = f"{prefix}/{entry}"
        src = old / entry
        dst = new / entry if new is not None else None
        new_has = dst is not None and _exists(dst)
        if src.is_dir() and not src.is_symlink():
            if (ours is not None and rel in ours) or (new_has and dst is not None and dst.is_dir()):
                keep += _user_entries(src, dst if new_has else None, ours, rel)
            elif not new_has:
                keep.append(rel)  # a folder of the user's: kept whole
            else:
                raise OutPathError(
                    f"{rel} is a folder rso did not write, where the new outputs have a file; "
                    "move it away or choose another --out (nothing was changed)"
                )
        elif not new_has and (ours is None or rel not in ours):
            keep.append(rel)
    return keep


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return None


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _start_time(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot, /proc/PID/stat field 22), or None."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return int(stat_line.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _identity() -> dict[str, Any]:
    """Who is writing, precisely enough that another run can tell if it is still alive: a pid
    alone is not (another pid namespace, another host on a shared drive, a reused pid)."""
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "boot_id": _boot_id(),
        "pid_ns": _pid_namespace(),
        "started": _start_time(os.getpid()),
    }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _alive(marker: dict[str, Any]) -> bool | None:
    """Is the run that wrote `marker` still running? True, False, or None: cannot tell (it ran
    on another host or in another pid namespace, where its pid means nothing here)."""
    pid = marker.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    if "boot_id" not in marker:  # a marker of an older version: the pid is all there is
        return pid != os.getpid() and _pid_alive(pid)
    if marker.get("host") != socket.gethostname():
        return None
    boot = _boot_id()
    if boot is not None and marker.get("boot_id") not in (None, boot):
        return False  # written before this machine last started
    if marker.get("pid_ns") != _pid_namespace():
        return None
    if pid == os.getpid() and marker.get("started") == _start_time(pid):
        return False  # this very process: it has left that folder behind
    if not _pid_alive(pid):
        return False
    started = marker.get("started")
    return started is None or started == _start_time(pid)  # a reused pid is another process


def _marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a staging or old-set folder of this tool, or None if it is not one."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("tool") != _TOOL:
        return None
    if folder.stat().st_uid != os.getuid():
        return None
    return data


def _write_marker(folder: Path, data: dict[str, Any]) -> None:
    write_private(folder / MARKER, json.dumps({"tool": _TOOL, **_identity(), **data}))


class _Swap:
    """Moving a staged output set into place, in steps that a later run can finish.

    The old entries go into an `.rso-old-*` folder whose marker (the journal) lists every
    name of the set; then each new entry moves into place; then the user's own files found in
    the old output folders are moved into the new ones; then the old set is deleted. An
    exception undoes the steps done; after a kill, `recover` finishes the swap from the
    journal (the new set is complete in staging before the first move), so the folder ends
    with the new set whole.
    """

    def __init__(self, out_dir: Path, stage: Path, old: Path, journal: dict[str, Any]):
        self.out_dir, self.stage, self.old, self.journal = out_dir, stage, old, journal
        self.done: list[tuple[Path, Path]] = []

    def _move(self, src: Path, dst: Path) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.replace(src, dst)
        self.done.append((src, dst))

    def run(self) -> None:
        """Do (or finish) every step; each step checks the disk, so it can be run again."""
        out, stage, old = self.out_dir, self.stage, self.old
        had = set(self.journal["had"])
        for name in self.journal["names"]:
            target = out / name
            if name in had and _exists(target) and not _exists(old / name):
                self._move(target, old / name)
            if _exists(stage / name):
                self._move(stage / name, target)
        for rel in self.journal["keep"]:
            src = old / rel
            if _exists(src) and not _exists(out / rel):
                self._move(src, out / rel)
        if not self.journal.get("done"):
            self.journal["done"] = True
            try:
                _write_marker(old, self.journal)
            except OSError as exc:
                # Every entry has moved: the new set is in place, whatever the flag says. The
                # run goes on to check it; a later run finds the old set complete and deletes it.
                log.warning(
                    "the new outputs are in place in %s, but the note that the swap finished "
                    "could not be written (%s); they are still checked",
                    out,
                    exc.strerror,
                )

    def undo(self) -> bool:
        """Put back every move made, newest first (after an exception part-way); True if all were."""
        ok = True
        for src, dst in reversed(self.done):
            try:
                os.replace(dst, src)
            except OSError:
                ok = False
        self.done.clear()
        return ok


def _candidates(out_dir: Path) -> list[Path]:
    places = [out_dir] if out_dir.is_dir() else []
    if out_dir.parent.is_dir():
        places.append(out_dir.parent)
    found: list[Path] = []
    for place in places:
        with contextlib.suppress(OSError):
            found += [
                place / e
                for e in sorted(os.listdir(place))
                if e.startswith((_STAGING_PREFIX, _OLD_PREFIX))
            ]
    return found


def _journals(out_dir: Path) -> tuple[list[tuple[Path, dict[str, Any]]], list[Path]]:
    """This tool's old-set journals and staging folders left for `out_dir` by dead runs."""
    journals: list[tuple[Path, dict[str, Any]]] = []
    staging: list[Path] = []
    for folder in _candidates(out_dir):
        data = _marker(folder)
        if data is None or data.get("out") != str(out_dir):
            continue
        alive = _alive(data)
        if alive is None:
            log.warning(
                "%s is a staging folder of an rso run on %s or in another container, which may "
                "still be writing; it is left alone (delete it if no such run is going on)",
                folder,
                "another host" if data.get("host") != socket.gethostname() else "this host",
            )
        if alive is not False:
            continue
        if folder.name.startswith(_OLD_PREFIX):
            journals.append((folder, data))
        else:
            staging.append(folder)
    return journals, staging


def finish_interrupted(out_dir: Path) -> None:
    """Before reading an output folder: finish a write of the tool that was killed part-way.

    Such a folder may hold files of two runs; the journal finishes it to the newer set (see
    `recover`), holding the folder's lock. If that cannot be done (a read-only folder), reading
    it is refused. A reader already holding the folder's lock has nothing to finish: no run can
    have stopped part-way while it held it.
    """
    folder = Path(out_dir)
    folder = folder.parent if folder.is_file() else folder
    if lock.holds(folder) and not lock.holds(folder, exclusive=True):
        return
    try:
        absolute = folder.resolve()
    except RuntimeError:  # "Symlink loop"
        raise OutPathError(f"{folder} is a loop of symbolic links, not a folder") from None
    journals, _ = _journals(absolute)
    if not any(not journal.get("done") for _, journal in journals):
        return
    try:
        with lock.exclusive(folder):
            for note in recover(folder):
                log.warning("%s", note)
    except (OSError, OutputError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise OutPathError(
            f"{folder} holds a write of rso that was interrupted part-way, so its files may be "
            f"from two runs, and it cannot be finished ({why}); plan again"
        ) from None


def recover(out_dir: Path) -> list[str]:
    """Finish or clear what an interrupted run of the tool left for `out_dir`; returns notes.

    Call it holding the folder's exclusive lock (`lock.exclusive`). Only folders carrying this
    tool's marker, naming this output folder, owned by this user and not in use by a live
    process are touched: an interrupted swap is finished from its journal
    (so the new set is whole), then its old set and any abandoned staging folder are deleted.
    """
    out_dir = Path(out_dir).resolve()
    notes: list[str] = []
    journals, staging = _journals(out_dir)
    for old, journal in journals:
        stage = old.parent / str(journal.get("stage", ""))
        if not journal.get("done") and stage.name.startswith(_STAGING_PREFIX):
            _make_private_dirs(out_dir)
            _Swap(out_dir, stage, old, journal).run()
            notes.append(f"finished the interrupted writing of {out_dir} (the newer outputs)")
        shutil.rmtree(old, ignore_errors=True)
    for stage in staging:
        shutil.rmtree(stage, ignore_errors=True)
        notes.append(f"removed an abandoned staging folder of an interrupted run ({stage.name})")
    return notes


@contextlib.contextmanager
def staged_output(
    out_dir: Path,
    replaces: Iterable[str] = (),
    manifest: bool = True,
    expect: dict[str, str] | None = None,
) -> Iterator[Path]:
    """Yield a private staging folder; on success swap its contents into `out_dir` as one set.

    Top-level entries of the staging folder replace those of the same name in `out_dir`.
    Only the tool's own files are removed or replaced: `out_dir/.rso-manifest.json` lists
    every path a run wrote; inside an output folder (such as `maps/`), files the manifest does
    not list are the user's and are kept. `replaces`: every top-level name this kind of run
    may write; one of them this run did not write is removed if the last manifest lists it
    (its user's files kept), so stale maps never sit beside a new roster.
    Before anything moves, an entry in the way (a folder named roster.csv) is refused. On any
    exception nothing in `out_dir` changes; after a kill, the next run finishes the swap
    (`recover`). `manifest` False (a data folder from `rso generate`) writes no manifest.
    `expect`: {file name: SHA-256} of files the run read from `out_dir` and built on (`rso map`
    reads the roster); if one changed meanwhile (another run wrote the folder), nothing moves.
    Folders the call creates are 0700; an existing `out_dir` is narrowed to 0700
    when it holds only outputs of this kind (see `_narrow`).
    The whole call holds `out_dir`'s exclusive lock (`outputs.lock`): no other run recovers,
    swaps or reads there meanwhile.
    """
    check_out_dir(out_dir)
    out_dir = Path(out_dir)
    absolute = out_dir.resolve()
    with lock.exclusive(out_dir), _staged(out_dir, absolute, replaces, manifest, expect) as stage:
        yield stage


def _changed_since_read(out_dir: Path, expect: dict[str, str]) -> list[str]:
    changed = []
    for name, digest in sorted(expect.items()):
        try:
            now = hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
        except OSError:
            now = None
        if now != digest:
            changed.append(name)
    return changed


@contextlib.contextmanager
def _staged(
    out_dir: Path,
    absolute: Path,
    replaces: Iterable[str],
    manifest: bool,
    expect: dict[str, str] | None,
) -> Iterator[Path]:
    stage: Path | None = None
    old: Path | None = None
    swap: _Swap | None = None
    recoverable = False
    try:
        # A signal waits until the staging folder is made and named (else it would be left).
        with signals.deferred():
            for note in recover(out_dir):
                log.warning("%s", note)
            # Stage inside out_dir (the lock made it): same file system, and `--out .` must
            # not need the parent to be writable.
            stage = Path(tempfile.mkdtemp(dir=absolute, prefix=_STAGING_PREFIX))
            os.chmod(stage, DIR_MODE)
            _write_marker(stage, {"out": str(absolute), "role": "staging"})
        yield stage
        changed = _changed_since_read(out_dir, expect or {})
        if changed:
            raise OutputError(
                f"{', '.join(changed)} in {out_dir} changed while this run worked from it "
                "(another run wrote the folder), so what it made would not match; nothing was "
                "changed: run it again"
            )
        # Never the lock file (a read of the stage made one): moving the one this run holds
        # out of the folder would let the next writer in beside it.
        unmoved = (MARKER, lock.LOCK_NAME)
        produced = sorted(entry.name for entry in stage.iterdir() if entry.name not in unmoved)
        ours = _read_manifest(out_dir) if out_dir.is_dir() else set()
        stale = [
            n
            for n in sorted(set(replaces) - set(produced))
            if _exists(out_dir / n) and ours is not None and n in ours
        ]
        keep: list[str] = []
        for name in produced:
            target, entry = out_dir / name, stage / name
            if not _exists(target):
                continue
            if target.is_symlink() or target.is_dir() != entry.is_dir():
                raise OutPathError(_in_the_way(target, _kind(entry)))
            if entry.is_dir():
                keep += _user_entries(target, entry, ours, name)
        for name in stale:
            if (out_dir / name).is_dir() and not (out_dir / name).is_symlink():
                keep += _user_entries(out_dir / name, None, ours, name)
        written = (set(_tree(stage)) - set(unmoved)) | {MANIFEST}
        if ours:  # entries of other kinds of run in the same folder stay the tool's
            untouched = set(replaces) | set(produced)
            written |= {p for p in ours if p.split("/")[0] not in untouched}
        if manifest:
            write_private(stage / MANIFEST, json.dumps({"tool": _TOOL, "paths": sorted(written)}))
            if MANIFEST not in produced:
                produced.append(MANIFEST)
        _chmod_tree(stage)
        _make_private_dirs(out_dir)
        old = Path(tempfile.mkdtemp(dir=stage.parent, prefix=_OLD_PREFIX))
        journal = {
            "out": str(absolute),
            "role": "old",
            "stage": stage.name,
            "names": sorted(set(produced) | set(stale)),
            "had": sorted(n for n in set(produced) | set(stale) if _exists(out_dir / n)),
            "keep": keep,
            "ours": None if ours is None else sorted(ours),
            "done": False,
        }
        signals.raise_if_pending()  # an interruption swallowed on the way: nothing moves
        with signals.deferred():  # a signal waits until the set is whole, then stops the run
            _write_marker(old, journal)
            swap = _Swap(out_dir, stage, old, journal)
            swap.run()
            signals.note_written(out_dir)
        try:
            _narrow(out_dir, set(produced) | set(replaces))
        except OSError as exc:
            log.warning("the mode of %s could not be narrowed (%s)", out_dir, exc.strerror)
    except BaseException as exc:
        if swap is not None and not swap.journal.get("done") and not swap.undo():
            recoverable = True  # half moved back: keep both folders for the next run
            raise OutputError(
                f"writing {out_dir} was interrupted and could not be undone; the next run "
                "into it finishes it"
            ) from None
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write to {out_dir}: {exc.strerror}") from None
        raise
    finally:
        if not recoverable and stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
