"""One writer or many readers per output folder: `flock` on a lock file inside it.

A writer (`exclusive`) holds the folder's lock from the recovery of an interrupted run,
through staging and the swap, to the check of what it wrote; a reader (`shared`) holds it while
it reads the files of one plan, so it never sees half of one set and half of another.
`flock` locks belong to the open file, so they hold across pid namespaces (containers) and,
on NFS, across machines; they go when the process dies, so a killed run never leaves the
folder locked. Re-entrant within one thread: a writer that reads back its own folder (the
post-check) does not wait for itself.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rso_scheduler.errors import OutputError

log = logging.getLogger(__name__)

LOCK_NAME = ".rso-lock"
_NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS)
_DIR_MODE = 0o700
_FILE_MODE = 0o600


@dataclass
class _Held:
    fd: int
    exclusive: bool
    depth: int
    made_folder: bool


_local = threading.local()


def _held() -> dict[str, _Held]:
    if not hasattr(_local, "held"):
        _local.held = {}
    held: dict[str, _Held] = _local.held
    return held


def _key(folder: Path) -> str:
    return os.path.realpath(folder)  # never raises on a loop of links (the open does)


def holds(folder: Path, exclusive: bool = False) -> bool:
    """True if this thread holds `folder`'s lock (the exclusive one, with `exclusive`)."""
    h = _held().get(_key(folder))
    return h is not None and (h.exclusive or not exclusive)


def _open_lock(folder: Path, create: bool) -> int | None:
    """The lock file's descriptor; None if it cannot exist (a read-only folder, for a reader)."""
    path = folder / LOCK_NAME
    flags = os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW
    try:
        return os.open(path, flags | (os.O_CREAT if create else 0), _FILE_MODE)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
            try:
                return os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
            except OSError:
                return None
        if exc.errno == errno.ELOOP:
            raise OutputError(
                f"{path} is a symbolic link; rso locks an output folder with a file of its own "
                "there (remove the link)"
            ) from None
        raise


def _acquire(folder: Path, exclusive: bool, create: bool) -> int | None:
    """Lock `folder` (blocking, with one line on stderr if another run holds it)."""
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    said = False
    while True:
        fd = _open_lock(folder, create)
        if fd is None:
            return None
        try:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
            except BlockingIOError:
                if not said:
                    log.warning(
                        "waiting for another rso run that is %s %s",
                        "using" if exclusive else "writing",
                        folder,
                    )
                    said = True
                fcntl.flock(fd, mode)  # a signal's exception ends the wait
            except OSError as exc:
                if exc.errno not in _NO_LOCKS:
                    raise
                log.warning(
                    "%s is on a file system without file locks (%s): other rso runs into it "
                    "are not kept out while this one %s it",
                    folder,
                    exc.strerror,
                    "writes" if exclusive else "reads",
                )
                return fd
            # The file may have been removed (its folder given up) while this run waited: a
            # lock on a file no longer at the path protects nothing, so take the new one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(folder / LOCK_NAME))
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            return fd
        os.close(fd)
        if not folder.is_dir() and create:
            folder.mkdir(mode=_DIR_MODE)


def _make_folder(folder: Path) -> bool:
    """Create `folder` (and missing parents) owner-only; True if this call made it."""
    if folder.is_dir():
        return False
    missing: list[Path] = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    made = False
    for d in reversed(missing):
        try:
            d.mkdir(mode=_DIR_MODE)
            made = True
        except FileExistsError:
            made = False
        os.chmod(d, _DIR_MODE)
    return made


@contextlib.contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Hold `folder`'s lock alone (the folder is made owner-only if missing).

    The lock file goes when the writer is done; a folder this call made that is empty at the
    end (the run failed before writing) is removed again, so a failed first run leaves no
    empty folder behind. Readers leave the file; the next writer removes it.
    """
    folder = Path(folder)
    key = _key(folder)
    held = _held()
    if key in held:
        h = held[key]
        if not h.exclusive:
            raise RuntimeError(f"{folder}: a reader cannot become the writer in place")
        h.depth += 1
        try:
            yield
        finally:
            h.depth -= 1
        return
    try:
        made = _make_folder(folder)
        fd = _acquire(folder, exclusive=True, create=True)
    except OSError as exc:
        raise OutputError(f"cannot lock {folder} for writing: {exc.strerror}") from None
    if fd is None:
        raise OutputError(f"cannot lock {folder} for writing: it is read-only")
    held[key] = _Held(fd, True, 1, made)
    try:
        yield
    finally:
        del held[key]
        # Removed while still held: nobody else holds a lock on this file now, and a run
        # waiting for it finds it gone once it gets it, and locks the new one (`_acquire`).
        with contextlib.suppress(OSError):
            os.unlink(folder / LOCK_NAME)
        if made:  # the run failed before writing anything: no empty folder left behind
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        os.close(fd)  # closing the last descriptor releases the lock


@contextlib.contextmanager
def shared(folder: Path) -> Iterator[None]:
    """Hold `folder`'s lock as one of its readers (nothing if this thread already holds it).

    A folder where no lock file can be made (read-only, or missing) is read without one: no
    run of the tool can be writing into it either.
    """
    folder = Path(folder)
    key = _key(folder)
    held = _held()
    if key in held:
        held[key].depth += 1
        try:
            yield
        finally:
            held[key].depth -= 1
        return
    fd = None
    if folder.is_dir():
        try:
            fd = _acquire(folder, exclusive=False, create=True)
        except OSError as exc:
            raise OutputError(f"cannot lock {folder} for reading: {exc.strerror}") from None
    if fd is None:
        yield
        return
    held[key] = _Held(fd, False, 1, False)
    try:
        yield
    finally:
        del held[key]
        os.close(fd)
