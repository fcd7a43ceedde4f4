"""Ctrl-C and SIGTERM: stop within seconds, say what is left on disk, never a shorter plan.

The command line installs `install()`: SIGINT and SIGTERM raise `Interrupted` (a
KeyboardInterrupt, so no `except Exception` swallows it) in the main thread. While C code runs
(CP-SAT's search), Python cannot raise there: `stop_on_signal` watches the signal wake-up
descriptor from a thread and stops the search, and the exception is raised as soon as the
search returns, so a search cut short never becomes a plan. CP-SAT's own Ctrl-C handling is
switched off by the caller (`catch_sigint_signal`): it ended the search quietly with the best
plan so far, and on return reset Ctrl-C to kill the process with no message. `deferred()`
holds signals back while an output set is swapped into place, so a folder is never left half
swapped; `note_written` records a swap done, so the message on interruption says whether
new outputs are in place.
"""

from __future__ import annotations

import contextlib
import select
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread by SIGINT (exit 130) or SIGTERM (exit 143); a
    KeyboardInterrupt, so code that stops cleanly on Ctrl-C stops cleanly on SIGTERM too."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


_state: dict[str, Any] = {"pending": None, "written": [], "deferred": 0}


def _handler(signum: int, _frame: Any) -> None:
    if _state["pending"] is None:
        _state["pending"] = signum  # the first one decides the exit code
    if _state["deferred"]:
        return  # raised when the deferred block ends
    raise Interrupted(_state["pending"])


def _quiet_unraisable(hook: Callable[[Any], None]) -> Callable[[Any], None]:
    def unraisable(info: Any) -> None:
        # An interruption that lands in a finaliser, or what it leaves half done (the row
        # writers of an XLSX being written, closed at exit on a closed file), is not a bug to
        # print a traceback for; `pending()` still says it happened.
        if _state["pending"] is not None or isinstance(info.exc_value, KeyboardInterrupt):
            return
        hook(info)

    return unraisable


def install() -> None:
    """SIGINT and SIGTERM raise `Interrupted` (call in the main thread of the command line)."""
    if threading.current_thread() is not threading.main_thread():
        return
    reset()
    for signum in STOP_SIGNALS:
        signal.signal(signum, _handler)
    if not getattr(sys.unraisablehook, "_rso", False):
        hook = _quiet_unraisable(sys.unraisablehook)
        hook._rso = True  # type: ignore[attr-defined]
        sys.unraisablehook = hook


def reset() -> None:
    """Forget an earlier interruption and writes (a new command in the same process)."""
    _state["pending"] = None
    _state["written"] = []


def pending() -> int | None:
    """The signal that interrupted this command, even if an exception of it got swallowed."""
    signum: int | None = _state["pending"]
    return signum


def raise_if_pending() -> None:
    """Raise `Interrupted` again if a signal came but its exception was lost on the way."""
    signum = pending()
    if signum is not None:
        raise Interrupted(signum)


def note_written(out_dir: Path) -> None:
    """A set of outputs is now in place in `out_dir` (for the message if interrupted later)."""
    _state["written"].append(str(out_dir))


def written() -> list[str]:
    """Folders whose new outputs this command has put in place."""
    return list(_state["written"])


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the block (delivered when it ends): a swap of an output
    set is a few renames, and stopping half-way through it would leave two half sets."""
    # Not a signal mask: a signal sent to the process may land in any thread that does not
    # block it, and its handler still runs in this one. The handler itself waits instead.
    _state["deferred"] += 1
    try:
        yield
    finally:
        _state["deferred"] -= 1
    if not _state["deferred"]:
        raise_if_pending()


@contextlib.contextmanager
def stop_on_signal(stop: Callable[[], None]) -> Iterator[None]:
    """Call `stop` (from a watcher thread) if SIGINT or SIGTERM arrives during the block.

    For C code that does not return to Python until done (a CP-SAT search): the signal's
    Python handler runs, and raises, only after it returns, so `stop` makes it return now.
    Afterwards the signal handlers are put back as they were, whatever the C code did to them.
    Only in the main thread, and only for signals with a Python handler (others end the
    process anyway).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    try:
        previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except ValueError:
        reader.close()
        writer.close()
        yield
        return
    # the block's end wakes the watcher at once (no polling: the search loses no time to it)
    done_reader, done_writer = socket.socketpair()

    def watch() -> None:
        while True:
            ready = select.select([reader, done_reader], [], [])[0]
            if done_reader in ready:
                return
            if any(b in STOP_SIGNALS for b in reader.recv(64)):
                stop()
                return

    watcher = threading.Thread(target=watch, name="rso-signal-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done_writer.send(b"x")
        watcher.join()
        signal.set_wakeup_fd(previous)
        for sock in (reader, writer, done_reader, done_writer):
            sock.close()
        for signum, handler in saved.items():
            if handler is not None and signal.getsignal(signum) is not handler:
                signal.signal(signum, handler)
