"""The gazetteer: postcodes and UPRNs to WGS84 coordinates, offline, from the force's own copy.

Recognised layouts (by their headers):

- ONS Postcode Directory (ONSPD): `pcds` or `pcd`, `lat`, `long`, optional `doterm` (a date
  of termination: the postcode is no longer in use); rows without a grid reference (ONSPD's
  lat 99.999999) are left out;
- OS Code-Point Open: a folder of headerless CSV files, one per postcode area (postcode,
  positional quality, eastings, northings, ...), British National Grid (EPSG:27700), turned
  into WGS84 with pyproj;
- a plain `postcode,lat,lon` or `uprn,lat,lon` table (`latitude`, `long`, `longitude` too).

The ONSPD has 2.7 million rows, so it is indexed once into an SQLite file in `.rso-cache/`
beside the data (folder 0700, file 0600: these are locations) and looked up there; the index is
rebuilt when the gazetteer changes (its size, modification time and a hash of its first and
last MiB differ from those recorded in the index).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rso_scheduler.errors import InputError, Problem
from rso_scheduler.input.cells import postcode_key
from rso_scheduler.input.files import MAX_GAZETTEER_BYTES, open_problem

CACHE_DIR = ".rso-cache"
INDEX_VERSION = 1
_CHUNK_ROWS = 250_000
_LOOKUP_BATCH = 500
_HASH_BYTES = 1 << 20
_LAT = ("lat", "latitude")
_LON = ("lon", "long", "longitude")
_EXPECTED = (
    "expected the ONS Postcode Directory (columns pcds or pcd, lat, long), a plain "
    "postcode,lat,lon or uprn,lat,lon table, or a folder of OS Code-Point Open CSV files"
)


@dataclass(frozen=True)
class Layout:
    """What a gazetteer file is and which of its columns to read."""

    kind: str  # "onspd", "postcode", "uprn", "codepoint"
    files: tuple[Path, ...]
    key: str | int = ""
    lat: str | int = ""
    lon: str | int = ""
    doterm: str | None = None


def _first_line(path: Path) -> list[str]:
    with open(path, "rb") as f:
        head = f.read(64 * 1024)
    line = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").strip("\r")
    return [c.strip().strip('"').strip() for c in line.split(",")]


def _is_codepoint_row(cells: list[str]) -> bool:
    return (
        len(cells) >= 4
        and bool(cells[0])
        and cells[0][0].isalpha()
        and cells[2].strip().isdigit()
        and cells[3].strip().isdigit()
    )


def sniff_layout(path: Path, name: str) -> Layout:
    """The layout of a gazetteer file or folder, or `InputError` saying what was expected."""
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.suffix.lower() == ".csv" and p.is_file() and _is_codepoint_row(_first_line(p))
        )
        if not files:
            raise InputError(
                [
                    Problem(
                        name,
                        None,
                        None,
                        f"is a folder with no Code-Point Open CSV files; {_EXPECTED}",
                    )
                ]
            )
        return Layout("codepoint", tuple(files), 0, 2, 3)
    cells = _first_line(path)
    cols = {c.lower(): c for c in cells}
    lat = next((cols[c] for c in _LAT if c in cols), None)
    lon = next((cols[c] for c in _LON if c in cols), None)
    if lat and lon:
        for key, kind in (
            ("pcds", "onspd"),
            ("pcd", "onspd"),
            ("postcode", "postcode"),
            ("uprn", "uprn"),
        ):
            if key in cols:
                return Layout(kind, (path,), cols[key], lat, lon, cols.get("doterm"))
    if _is_codepoint_row(cells):
        return Layout("codepoint", (path,), 0, 2, 3)
    raise InputError([Problem(name, 1, None, f"is not a recognised gazetteer: {_EXPECTED}")])


def signature(layout: Layout) -> str:
    """What identifies a gazetteer's content for the cache: size, mtime and head/tail hashes."""
    parts: list[Any] = [INDEX_VERSION, layout.kind]
    for p in layout.files:
        st = p.stat()
        h = hashlib.sha256()
        with open(p, "rb") as f:
            h.update(f.read(_HASH_BYTES))
            if st.st_size > 2 * _HASH_BYTES:
                f.seek(-_HASH_BYTES, os.SEEK_END)
                h.update(f.read(_HASH_BYTES))
        parts.append([p.name, st.st_size, st.st_mtime_ns, h.hexdigest()])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _chunks(layout: Layout) -> Iterator[tuple[list[str], Any, Any, Any]]:
    """(keys, lat, lon, terminated) arrays per chunk of the gazetteer, coordinates in WGS84."""
    import numpy as np
    import pandas as pd

    transformer = None
    for path in layout.files:
        if layout.kind == "codepoint":
            reader = pd.read_csv(
                path, header=None, usecols=[0, 2, 3], dtype=str, keep_default_na=False,
                chunksize=_CHUNK_ROWS, encoding="utf-8-sig", encoding_errors="replace",
            )  # fmt: skip
        else:
            use = [layout.key, layout.lat, layout.lon] + ([layout.doterm] if layout.doterm else [])
            reader = pd.read_csv(
                path, usecols=use, dtype=str, keep_default_na=False, chunksize=_CHUNK_ROWS,
                encoding="utf-8-sig", encoding_errors="replace",
            )  # fmt: skip
        for chunk in reader:
            if layout.kind == "codepoint":
                if transformer is None:
                    from pyproj import Transformer

                    transformer = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
                east = pd.to_numeric(chunk[2], errors="coerce").to_numpy(dtype=float)
                north = pd.to_numeric(chunk[3], errors="coerce").to_numpy(dtype=float)
                lon, lat = transformer.transform(east, north)
                lat, lon = np.asarray(lat), np.asarray(lon)
                ok = np.isfinite(lat) & np.isfinite(lon) & ~((east == 0) & (north == 0))
                keys = chunk[0]
                term = np.zeros(len(chunk), dtype=bool)
            else:
                lat = pd.to_numeric(chunk[layout.lat], errors="coerce").to_numpy(dtype=float)
                lon = pd.to_numeric(chunk[layout.lon], errors="coerce").to_numpy(dtype=float)
                # ONSPD gives lat 99.999999 (and long 0) to a postcode without a grid reference.
                ok = (
                    np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
                )
                keys = chunk[layout.key]
                if layout.doterm:
                    term = chunk[layout.doterm].to_numpy(dtype=object) != ""
                else:
                    term = np.zeros(len(chunk), dtype=bool)
            # Keys go in as written; SQLite normalises them (`_KEY_SQL`) far faster than
            # pandas' per-element string methods.
            yield keys.to_numpy(dtype=object)[ok].tolist(), lat[ok], lon[ok], term[ok]


# A key as the index holds it: postcodes upper case without spaces; UPRNs without leading
# zeros (or a spreadsheet's trailing .0).
_KEY_SQL = {
    "uprn": (
        "ltrim(CASE WHEN trim(key) LIKE '%.0' THEN substr(trim(key), 1, length(trim(key)) - 2) "
        "ELSE trim(key) END, '0')"
    ),
    "postcode": "upper(replace(replace(key, ' ', ''), char(9), ''))",
}


def build_index(layout: Layout, target: Path, sig: str) -> int:
    """Write the SQLite index of `layout` to `target` (owner-only); the number of keys."""
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    conn = sqlite3.connect(target)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-131072")  # 128 MB: the sort below stays in memory
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute(
            "CREATE TABLE place (key TEXT PRIMARY KEY, lat REAL, lon REAL, term INTEGER) "
            "WITHOUT ROWID"
        )
        # Appended to a plain table first, then copied in key order: inserting 2.7 million
        # keys in file order into the keyed table is several times slower (random B-tree pages).
        conn.execute("CREATE TEMP TABLE raw (key TEXT, lat REAL, lon REAL, term INTEGER)")
        n = 0
        for keys, lat, lon, term in _chunks(layout):
            conn.executemany(
                "INSERT INTO raw VALUES (?, ?, ?, ?)",
                zip(keys, lat.tolist(), lon.tolist(), term.astype(int).tolist(), strict=True),
            )
            n += len(keys)
        # A key listed twice keeps its last row (ORDER BY rowid within the key).
        key_sql = _KEY_SQL["uprn" if layout.kind == "uprn" else "postcode"]
        conn.execute(
            f"INSERT OR REPLACE INTO place SELECT k, lat, lon, term FROM (SELECT {key_sql} AS k, "
            "lat, lon, term, rowid AS r FROM raw) WHERE k <> '' ORDER BY k, r"
        )
        conn.execute("DROP TABLE raw")
        count = conn.execute("SELECT count(*) FROM place").fetchone()[0]
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("signature", sig), ("kind", layout.kind), ("rows", str(n)), ("keys", str(count))],
        )
        conn.commit()
    finally:
        conn.close()
    return int(count)


def _build_located(layout: Layout, target: Path, sig: str, name: str) -> int:
    """`build_index`, with a gazetteer that is not readable CSV reported against its name."""
    import pandas as pd

    try:
        return build_index(layout, target, sig)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, UnicodeError) as exc:
        target.unlink(missing_ok=True)
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise InputError(
            [
                Problem(
                    name, None, None, f"is not readable as a gazetteer CSV ({reason}); {_EXPECTED}"
                )
            ]
        ) from None


class GazetteerIndex:
    """An opened gazetteer index: look-ups by postcode key or UPRN (`schemas.Gazetteer`)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        name: str,
        kind: str,
        keys: int,
        built: bool,
        pending: tuple[Path, Path, Path | None] | None = None,
    ):
        self.conn, self.name, self.kind, self.keys, self.built = conn, name, kind, keys, built
        # an index built this run: (scratch file, its place in the cache, the cache folder if
        # this run made it), renamed into place only when the data folder reads clean
        self.pending = pending

    def _find(self, keys: Sequence[str]) -> dict[str, tuple[float, float, bool]]:
        out: dict[str, tuple[float, float, bool]] = {}
        for i in range(0, len(keys), _LOOKUP_BATCH):
            batch = list(keys[i : i + _LOOKUP_BATCH])
            marks = ",".join("?" * len(batch))
            for key, lat, lon, term in self.conn.execute(
                f"SELECT key, lat, lon, term FROM place WHERE key IN ({marks})", batch
            ):
                out[key] = (float(lat), float(lon), bool(term))
        return out

    def postcodes(self, keys: Sequence[str]) -> dict[str, tuple[float, float, bool]]:
        """Coordinates of postcode keys (`RG11AA`); an index of UPRNs finds none."""
        return {} if self.kind == "uprn" else self._find([postcode_key(k) for k in keys])

    def uprns(self, keys: Sequence[str]) -> dict[str, tuple[float, float, bool]]:
        """Coordinates of UPRNs; an index of postcodes finds none."""
        return self._find(list(keys)) if self.kind == "uprn" else {}

    def close(self, keep: bool = True) -> None:
        """Close the index. One built this run is kept for later runs only with `keep` (the
        data read clean): a run that stops on bad input leaves nothing behind in the folder."""
        self.conn.close()
        if self.pending is None:
            return
        scratch, target, made = self.pending
        self.pending = None
        if keep:
            os.replace(scratch, target)
            return
        scratch.unlink(missing_ok=True)
        if made is not None:
            with contextlib.suppress(OSError):
                made.rmdir()  # only if empty: the folder this run made for it


def _read_meta(path: Path) -> dict[str, str]:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return dict(conn.execute("SELECT key, value FROM meta").fetchall())
        finally:
            conn.close()
    except sqlite3.Error:
        return {}


def _cache_dir(data_dir: Path) -> tuple[Path | None, bool]:
    """The cache folder beside the data (made 0700 if missing; None if unusable), and whether
    this call made it."""
    folder = data_dir / CACHE_DIR
    made = not os.path.lexists(folder)
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if folder.is_symlink() or not folder.is_dir():
            return None, made
        st = folder.stat()
        if st.st_uid != os.getuid():
            return None, made  # somebody else's folder: never write locations into it
        if st.st_mode & 0o077:
            os.chmod(folder, 0o700)
        return folder, made
    except OSError:
        return None, made


def _index_in_cache(layout: Layout, sig: str, target: Path, name: str) -> Path | None:
    """None if `target` is the current index of `layout`; else the scratch file beside it
    where the index was built (renamed into place by `GazetteerIndex.close`, so a reader never
    sees half an index and a run stopped by bad input keeps none)."""
    if _read_meta(target).get("signature") == sig:
        return None
    tmp = target.with_name(f".{target.stem}-{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        _build_located(layout, tmp, sig, name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _index_in_memory(layout: Layout, sig: str, name: str) -> sqlite3.Connection:
    """The index built in a private scratch folder (0700) and loaded into memory."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        scratch_file = Path(scratch) / "gazetteer.sqlite"
        _build_located(layout, scratch_file, sig, name)
        disk = sqlite3.connect(scratch_file)
        conn = sqlite3.connect(":memory:")
        disk.backup(conn)
        disk.close()
    return conn


def open_gazetteer(path: Path, name: str, data_dir: Path) -> tuple[GazetteerIndex, list[str]]:
    """Open (building or rebuilding its index if needed) the gazetteer at `path`.

    `name` is how messages call it (its path as policy.toml gives it). Returns the index and
    the notes to show (index built, where, how long). Raises `InputError` for a gazetteer that
    is not a readable file or folder, not a recognised layout, or holds no location."""
    if not os.path.lexists(path):
        raise InputError(
            [
                Problem(
                    "policy.toml",
                    None,
                    "locations.gazetteer",
                    f"names {name}, which is not in the data folder; expected the force's "
                    "gazetteer file or folder, relative to the data folder",
                )  # fmt: skip
            ]
        )
    if not path.is_dir():
        problem = open_problem(path, name, MAX_GAZETTEER_BYTES)
        if problem is not None:
            raise InputError([problem])
    layout = sniff_layout(path, name)
    sig = signature(layout)
    notes: list[str] = []
    folder, made = _cache_dir(data_dir)
    started = time.perf_counter()
    target: Path | None = None
    pending: tuple[Path, Path, Path | None] | None = None
    if folder is None:
        conn, built = _index_in_memory(layout, sig, name), True
        notes.append(
            f"gazetteer {name}: the index could not be kept in {CACHE_DIR}/ beside the data; "
            "built in memory for this run"
        )
    else:
        digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
        target = folder / f"gazetteer-{digest}.sqlite"
        scratch = _index_in_cache(layout, sig, target, name)
        built = scratch is not None
        if scratch is not None:
            pending = (scratch, target, folder if made else None)
        conn = sqlite3.connect(f"file:{scratch or target}?mode=ro", uri=True)
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    keys = int(meta.get("keys", "0"))
    if keys == 0:
        GazetteerIndex(conn, name, layout.kind, 0, built, pending).close(keep=False)
        if target is not None:
            target.unlink(missing_ok=True)  # nothing worth keeping
        raise InputError(
            [Problem(name, None, None, f"holds no postcode or UPRN with coordinates; {_EXPECTED}")]
        )
    if built:
        kept = "; kept for later runs" if target is not None else ""
        notes.append(
            f"gazetteer {name}: indexed {keys:,} {'UPRNs' if layout.kind == 'uprn' else 'postcodes'} "
            f"({layout.kind}) in {time.perf_counter() - started:.1f} s{kept}"
        )
    return GazetteerIndex(conn, name, layout.kind, keys, built, pending), notes
