"""The one way an input file is opened: checked before a byte of it is read.

Every input (the tables as CSV or workbook, policy.toml, columns.toml, a scenario file, travel.csv,
the gazetteer) comes through here, so each gets the same answers:

- present but not a regular file (a FIFO, a folder, a device, a dangling link to an unmounted
  share) is a located error, never "absent" and never a read that hangs;
- larger than its stated cap is a located error found from the size alone, before reading;
- bytes that are not UTF-8 text are named for what they are (UTF-16 with or without a
  byte-order mark, Windows-1252, an Excel workbook or an old .xls renamed .csv);
- TOML is bounded before it is parsed: size, line length, key depth and the digits of a number,
  so a hostile file cannot take minutes and gigabytes inside the parser.

Pure checks (`decode_text`, `toml_bounds_problems`) are kept apart from the reading.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rso_scheduler.errors import InputError, Problem

MiB = 1024 * 1024
MAX_TABLE_BYTES = 512 * MiB  # a national visit log is ~30 MB; ten times that is not an export
MAX_WORKBOOK_BYTES = 200 * MiB  # zipped XML: 70,000 rows are ~5 MB
MAX_TOML_BYTES = 256 * 1024  # policy, columns and scenario files are a few KB
MAX_GAZETTEER_BYTES = 8 * 1024 * MiB  # the full ONSPD CSV is ~1.4 GB; it is streamed, not held
MAX_TOML_LINE_CHARS = 65_536  # a long line is fine (a list of tile hosts); 200 KB is not
MAX_TOML_KEY_DEPTH = 8  # the deepest real key is [risk.very_high] plus a dotted key or two
MAX_TOML_DIGITS = 32  # no setting needs more; Python refuses past 4,300 with an internal error

_UTF8_HINT = "save it as UTF-8 (CSV UTF-8 in Excel)"

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def present(path: Path) -> bool:
    """True if anything at all is at `path`, a dangling link included (it is then an error)."""
    return os.path.lexists(path)


def _size_text(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:,.0f} MB"
    return f"{n / 1024:,.0f} KB" if n >= 1024 else f"{n} bytes"


def open_problem(path: Path, name: str, cap: int) -> Problem | None:
    """Why `path` (present) cannot be read as an input of at most `cap` bytes, or None."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return Problem(
            name, None, None, "is a link to something that does not exist (an unmounted share?); "
            "expected a readable file",
        )  # fmt: skip
    except OSError as exc:
        return Problem(name, None, None, f"cannot be read: {exc.strerror}")
    for test, kind in _KINDS:
        if test(st.st_mode):
            return Problem(name, None, None, f"is {kind}, not a file; expected a readable file")
    if not stat.S_ISREG(st.st_mode):
        return Problem(name, None, None, "is not a regular file; expected a readable file")
    if st.st_size > cap:
        return Problem(
            name,
            None,
            None,
            f"is {_size_text(st.st_size)}, more than the {_size_text(cap)} an input of this kind "
            "may be; is it the right file?",
        )
    if not os.access(path, os.R_OK):
        return Problem(name, None, None, "cannot be read: permission denied")
    return None


def read_bytes(path: Path, name: str, cap: int) -> bytes:
    """The bytes of the regular file `path` (at most `cap`), or `InputError` located on `name`.

    Opened non-blocking and checked again on the open descriptor, so a file swapped for a FIFO
    between the check and the open cannot hang the read.
    """
    problem = open_problem(path, name, cap)
    if problem is not None:
        raise InputError([problem])
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputError([Problem(name, None, None, f"cannot be read: {exc.strerror}")]) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > cap:
            raise InputError(
                [open_problem(path, name, cap) or Problem(name, None, None, "changed while read")]
            )
        chunks: list[bytes] = []
        left = cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, 4 * MiB))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise InputError([Problem(name, None, None, f"cannot be read: {exc.strerror}")]) from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > cap:
        raise InputError(
            [Problem(name, None, None, f"grew past {_size_text(cap)} while it was read")]
        )
    return raw


def sniff(raw: bytes) -> str | None:
    """What binary or non-UTF-8 bytes are, when they are not text at all (None: maybe text)."""
    if raw.startswith(b"PK\x03\x04"):
        return "an Excel workbook (.xlsx) or another zip file, not CSV text"
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Excel 97-2003 workbook (.xls), not CSV text"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text, not UTF-8"
    head = raw[:4096]
    if len(head) >= 4:
        even = head[0::2].count(0)
        odd = head[1::2].count(0)
        half = len(head) // 2
        if max(even, odd) > 0.3 * half and min(even, odd) < 0.05 * half:
            return "UTF-16 text without a byte-order mark, not UTF-8"
    return None


def decode_text(raw: bytes, file: str) -> str:
    """Bytes -> text: UTF-8 with or without BOM; anything else is an `InputError` with a hint."""
    what = sniff(raw)
    if what is not None:
        if what.startswith("an Excel workbook"):
            hint = f"name it {Path(file).stem}.xlsx, or save it as CSV UTF-8"
        elif "Excel" in what:
            hint = "save it as .xlsx, or as CSV UTF-8"
        else:
            hint = _UTF8_HINT
        raise InputError([Problem(file, None, None, f"is {what}; {hint}")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        try:
            raw.decode("cp1252")
            likely = "Windows-1252 (ANSI)"
        except UnicodeDecodeError:
            likely = "Latin-1 (ISO-8859-1)"
        raise InputError(
            [Problem(file, line, None, f"is not UTF-8 (it looks like {likely}); {_UTF8_HINT}")]
        ) from None


def read_text(path: Path, name: str | None = None, cap: int = MAX_TABLE_BYTES) -> str:
    """Read a text input: checked (`read_bytes`), then UTF-8 with or without BOM."""
    path = Path(path)
    name = name or path.name
    return decode_text(read_bytes(path, name, cap), name)


# --------------------------------------------------------------------------------------------
# TOML, bounded before parsing


def _key_depth(key: str) -> int:
    """Dots outside quotes in a TOML key, plus one."""
    depth, quote = 1, ""
    for ch in key:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            depth += 1
    return depth


def _outside_strings(line: str) -> str:
    """The line with the contents of one-line strings and any comment blanked."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = ""
                out.append(ch)
            else:
                out.append(" ")
        elif ch in "\"'":
            quote = ch
            out.append(ch)
        elif ch == "#":
            break
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def toml_bounds_problems(text: str, file: str) -> list[Problem]:
    """What makes TOML text too big to hand to the parser: over-long lines, over-deep keys,
    numbers with too many digits. Each located by line; an empty list means parse it."""
    problems: list[Problem] = []
    in_multiline = False
    for n, line in enumerate(text.splitlines(), 1):
        if len(problems) >= 10:
            break
        if len(line) > MAX_TOML_LINE_CHARS:
            problems.append(
                Problem(
                    file,
                    n,
                    None,
                    f"line is {len(line):,} characters long; expected at most "
                    f"{MAX_TOML_LINE_CHARS:,} (is this the right file?)",
                )  # fmt: skip
            )
            continue
        if line.count('"""') % 2 or line.count("'''") % 2:
            in_multiline = not in_multiline
            continue
        if in_multiline:
            continue
        bare = _outside_strings(line).strip()
        if not bare:
            continue
        if bare.startswith("["):
            key = bare.strip("[]")
        elif "=" in bare:
            key, _, value = bare.partition("=")
            run = max((len(t) for t in _digit_runs(value)), default=0)
            if run > MAX_TOML_DIGITS:
                problems.append(
                    Problem(
                        file,
                        n,
                        key.strip() or None,
                        f"holds a number of {run:,} digits; expected at most {MAX_TOML_DIGITS}",
                    )  # fmt: skip
                )
                continue
        else:
            continue
        depth = _key_depth(key)
        if depth > MAX_TOML_KEY_DEPTH:
            problems.append(
                Problem(
                    file,
                    n,
                    None,
                    f"a key {depth:,} levels deep; expected at most {MAX_TOML_KEY_DEPTH} "
                    "(such as risk.high.interval_days)",
                )  # fmt: skip
            )
    return problems


def _digit_runs(value: str) -> list[str]:
    runs: list[str] = []
    cur: list[str] = []
    for ch in value:
        if ch.isdigit() or (ch == "_" and cur):
            cur.append(ch)
        else:
            if cur:
                runs.append("".join(c for c in cur if c != "_"))
            cur = []
    if cur:
        runs.append("".join(c for c in cur if c != "_"))
    return runs


def read_toml_text(path: Path, name: str | None = None, cap: int = MAX_TOML_BYTES) -> str:
    """A TOML input as text, checked as a file and bounded (`toml_bounds_problems`) before parsing.

    Raises `InputError` (located) for a file that is not regular, too large, not UTF-8 or too
    deep; the caller parses the text (and may re-raise as its own `InputError` child)."""
    path = Path(path)
    name = name or path.name
    raw = read_bytes(path, name, cap)
    what = sniff(raw)
    if what is not None:
        raise InputError([Problem(name, None, None, f"is {what}; save it as UTF-8 text")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            [Problem(name, line, None, "is not UTF-8 text; save it as UTF-8")]
        ) from None
    problems = toml_bounds_problems(text, name)
    if problems:
        raise InputError(problems)
    return text
