"""The record's storage: an append-only, hash-chained table of entries in SQLite.

Where: `DATA_DIR/.rso/record.sqlite` by default; the environment variable `RSO_RECORD` (a file
path) or a command's `--record PATH` puts it elsewhere. The folder is created owner-only (0700),
the file owner-only (0600).

Each entry has a sequence number, the time (UTC), the user (`getpass.getuser()`), the command
line, a kind, a subject (the plan it belongs to, if any) and a JSON body. Its hash is
SHA-256 over the previous entry's hash and the entry's canonical content, so changing,
deleting or reordering any entry breaks the chain at that entry, which `verify` names. (Cutting
entries off the end leaves a shorter chain that is whole: `rso audit --verify --head HASH`
checks that a head printed earlier is still in it.)

Plain `sqlite3`, standard SQL and `?` parameters only, and the schema is a numbered list of
migrations applied in order and recorded in `schema_migrations`, so the same schema can later be
created on a PostgreSQL server behind a different connection (not built yet).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rso_scheduler.errors import OutputError, RsoError

RECORD_ENV = "RSO_RECORD"
DEFAULT_PLACE = Path(".rso") / "record.sqlite"
GENESIS = "0" * 64  # the "previous hash" of the first entry

# Each migration is applied once, in order, in one transaction with its row in schema_migrations.
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "entries: the hash-chained trail",
        """
        CREATE TABLE entries (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user_name TEXT NOT NULL,
            command TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE
        );
        CREATE INDEX entries_by_kind ON entries (kind, subject);
        """,
    ),
    (
        2,
        "entry_people: which people each entry is about (a person's history)",
        """
        CREATE TABLE entry_people (
            seq INTEGER NOT NULL REFERENCES entries (seq),
            offender_id TEXT NOT NULL,
            PRIMARY KEY (offender_id, seq)
        );
        """,
    ),
    (
        3,
        "plan_breaks: each issued plan's refreshment breaks (breaks.csv rows)",
        """
        CREATE TABLE plan_breaks (
            seq INTEGER NOT NULL REFERENCES entries (seq),
            officer_id TEXT NOT NULL,
            day TEXT NOT NULL,
            break_start TEXT NOT NULL,
            break_end TEXT NOT NULL,
            PRIMARY KEY (seq, officer_id, day)
        );
        """,
    ),
]


class RecordError(RsoError):
    """The record cannot be opened, read or written."""

    exit_code = 1


@dataclass(frozen=True)
class Entry:
    """One entry of the trail."""

    seq: int
    at: str
    user: str
    command: str
    kind: str
    subject: str
    body: dict[str, Any]
    prev_hash: str
    hash: str


def _entry(r: Sequence[Any]) -> Entry:
    return Entry(
        int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
        json.loads(r[6]), str(r[7]), str(r[8]),
    )  # fmt: skip


def record_path(data_dir: Path | str, given: Path | str | None = None) -> Path:
    """Where the record of `data_dir` is: `given`, else $RSO_RECORD, else DATA_DIR/.rso/."""
    if given:
        return Path(given)
    env = os.environ.get(RECORD_ENV)
    if env:
        return Path(env)
    return Path(data_dir) / DEFAULT_PLACE


def canonical(value: Any) -> str:
    """The one JSON text of a value that the hashes are taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(
    prev_hash: str, seq: int, at: str, user: str, command: str, kind: str, subject: str, body: str
) -> str:
    """SHA-256 of the previous hash and the entry's content (body as stored, canonical JSON)."""
    content = canonical([seq, at, user, command, kind, subject])
    return hashlib.sha256(f"{prev_hash}\n{content}\n{body}".encode()).hexdigest()


def _migrations_table(con: sqlite3.Connection) -> None:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )


def schema_version(con: sqlite3.Connection) -> int:
    """The highest migration applied (0 for a new database)."""
    _migrations_table(con)
    row = con.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(con: sqlite3.Connection, upto: int | None = None) -> list[int]:
    """Apply the migrations not yet applied (up to `upto`); returns the versions applied."""
    done = schema_version(con)
    applied = []
    for version, name, sql in MIGRATIONS:
        if version <= done or (upto is not None and version > upto):
            continue
        with _transaction(con):  # the migration and its row, or neither
            for statement in (s.strip() for s in sql.split(";")):
                if statement:
                    con.execute(statement)
            if version == 2:
                _backfill_people(con)
            if version == 3:
                _backfill_breaks(con)
            con.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, _now()),
            )
        applied.append(version)
    return applied


@contextmanager
def _transaction(con: sqlite3.Connection, mode: str = "") -> Iterator[None]:
    """One explicit transaction (the connection is in autocommit mode otherwise)."""
    con.execute(f"BEGIN {mode}".strip())
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _backfill_people(con: sqlite3.Connection) -> None:
    for seq, body in con.execute("SELECT seq, body FROM entries").fetchall():
        for pid in sorted(people_of(json.loads(body))):
            con.execute("INSERT INTO entry_people (seq, offender_id) VALUES (?, ?)", (seq, pid))


def _backfill_breaks(con: sqlite3.Connection) -> None:
    """Plans recorded before the record kept breaks: their folder's breaks.csv, if it is still
    there and readable (else the plan has none recorded, and a change derives them)."""
    from rso_scheduler.errors import InputError
    from rso_scheduler.outputs.roster_files import parse_breaks

    for seq, body in con.execute("SELECT seq, body FROM entries WHERE kind = 'plan'").fetchall():
        b = json.loads(body)
        rows = b.get("breaks")
        if rows is None:
            path = Path(b.get("out_dir") or "") / "breaks.csv"
            try:
                found = parse_breaks(path.read_text(encoding="utf-8")) if path.is_file() else None
            except (OSError, UnicodeDecodeError, InputError):
                found = None
            if found is None:
                continue
            rows = [
                {
                    "officer_id": r.officer_id,
                    "date": r.date.isoformat(),
                    "start": f"{r.start_min // 60:02d}:{r.start_min % 60:02d}",
                    "end": f"{r.end_min // 60:02d}:{r.end_min % 60:02d}",
                }
                for r in found
            ]
        _insert_breaks(con, seq, rows)


def _insert_breaks(con: sqlite3.Connection, seq: int, rows: list[dict[str, str]]) -> None:
    for r in rows:
        con.execute(
            "INSERT INTO plan_breaks (seq, officer_id, day, break_start, break_end) "
            "VALUES (?, ?, ?, ?, ?)",
            (seq, r["officer_id"], r["date"], r["start"], r["end"]),
        )


def people_of(body: dict[str, Any]) -> set[str]:
    """Every offender_id an entry's body mentions (in its lists of rows)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            pid = value.get("offender_id")
            if isinstance(pid, str):
                found.add(pid)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(body)
    return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): still say who
        return f"uid {os.getuid()}"


class Store:
    """An open record: append entries, read them, verify the chain."""

    def __init__(self, path: Path, con: sqlite3.Connection):
        self.path = path
        self.con = con

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[Store]:
        """Open (creating owner-only and migrating as needed) the record at `path`."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if path.parent.name == DEFAULT_PLACE.parent.name:
                os.chmod(path.parent, 0o700)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
            os.chmod(path, 0o600)
            con = sqlite3.connect(path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise RecordError(
                f"cannot open the record {path}: {exc}; every plan, outcome and report is "
                f"recorded, so give it a writable place: {RECORD_ENV}=/path/record.sqlite"
            ) from None
        with closing(con):
            try:
                con.execute("PRAGMA foreign_keys = ON")
                migrate(con)
            except sqlite3.DatabaseError as exc:
                raise RecordError(f"{path} is not a readable record: {exc}") from None
            yield cls(path, con)

    def append(
        self,
        kind: str,
        body: dict[str, Any],
        *,
        subject: str = "",
        command: str = "",
        people: Iterable[str] | None = None,
    ) -> Entry:
        """Add one entry at the end of the chain (atomically: the last hash is read and the
        entry written in one write transaction, so two writers cannot fork the chain)."""
        text = canonical(body)
        at, user = _now(), _user()
        try:
            with self.exclusive():
                seq, prev = self.head()
                seq += 1
                digest = entry_hash(prev, seq, at, user, command, kind, subject, text)
                self.con.execute(
                    "INSERT INTO entries (seq, at, user_name, command, kind, subject, body, "
                    "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (seq, at, user, command, kind, subject, text, prev, digest),
                )
                for pid in sorted(set(people) if people is not None else people_of(body)):
                    self.con.execute(
                        "INSERT INTO entry_people (seq, offender_id) VALUES (?, ?)", (seq, pid)
                    )
                if kind == "plan" and isinstance(body.get("breaks"), list):
                    _insert_breaks(self.con, seq, body["breaks"])
        except sqlite3.Error as exc:
            raise OutputError(f"cannot write to the record {self.path}: {exc}") from None
        return Entry(seq, at, user, command, kind, subject, json.loads(text), prev, digest)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the record's write lock (one writer at a time, other processes wait): a
        caller that reads and rewrites a file beside the record (visits.csv) does it inside,
        so two writers never interleave. Entries appended inside join the same transaction."""
        if self.con.in_transaction:
            yield
            return
        try:
            with _transaction(self.con, "IMMEDIATE"):
                yield
        except sqlite3.OperationalError as exc:
            raise RecordError(f"the record {self.path} is busy or locked: {exc}") from None

    def entries(
        self, kind: str | None = None, subject: str | None = None, person: str | None = None
    ) -> list[Entry]:
        """Entries in order, optionally of one kind, one subject, or about one person."""
        sql = (
            "SELECT e.seq, e.at, e.user_name, e.command, e.kind, e.subject, e.body, e.prev_hash,"
            " e.hash FROM entries e"
        )
        where: list[str] = []
        args: list[Any] = []
        if person is not None:
            sql += " JOIN entry_people p ON p.seq = e.seq"
            where.append("p.offender_id = ?")
            args.append(person)
        if kind is not None:
            where.append("e.kind = ?")
            args.append(kind)
        if subject is not None:
            where.append("e.subject = ?")
            args.append(subject)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.seq"
        try:
            rows = self.con.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise RecordError(f"cannot read the record {self.path}: {exc}") from None
        return [_entry(r) for r in rows]

    def breaks(self, seq: int) -> list[tuple[str, str, str, str]] | None:
        """The breaks recorded with plan entry `seq`: (officer_id, date, start, end) rows; None
        when the plan was recorded without them (no breaks.csv, or before schema 3)."""
        rows = self.con.execute(
            "SELECT officer_id, day, break_start, break_end FROM plan_breaks WHERE seq = ? "
            "ORDER BY officer_id, day",
            (seq,),
        ).fetchall()
        if rows:
            return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]
        body = self.con.execute("SELECT body FROM entries WHERE seq = ?", (seq,)).fetchone()
        return [] if body and isinstance(json.loads(body[0]).get("breaks"), list) else None

    def head(self) -> tuple[int, str]:
        """The last entry's number and hash (0 and the genesis hash when empty)."""
        row = self.con.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def verify(self) -> list[str]:
        """Every break in the chain, in order: an entry altered, missing or out of place."""
        problems: list[str] = []
        prev, expected_seq = GENESIS, 1
        rows = self.con.execute(
            "SELECT seq, at, user_name, command, kind, subject, body, prev_hash, hash "
            "FROM entries ORDER BY seq"
        ).fetchall()
        for seq, at, user, command, kind, subject, body, prev_hash, digest in rows:
            if seq != expected_seq:
                problems.append(
                    f"entry {seq}: expected entry {expected_seq} here; "
                    f"{'entries are missing' if seq > expected_seq else 'entries are out of order'}"
                )
            if prev_hash != prev:
                problems.append(
                    f"entry {seq}: does not follow the entry before it (deleted, inserted or "
                    "reordered entries)"
                )
            if entry_hash(prev_hash, seq, at, user, command, kind, subject, body) != digest:
                problems.append(f"entry {seq}: its content does not match its hash (altered)")
            prev, expected_seq = digest, seq + 1
        return problems
