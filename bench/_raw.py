"""The ceilings: the bare drivers with Ironstar's schema and the same durability.

Each workload runs on the stdlib `sqlite3` (`lib="sqlite3"`, the library Ironstar used
before) or on `apsw` (`lib="apsw"`, the one it uses now). Never both on one file at once.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal, cast

import apsw

from bench._timing import Timer
from ironstar.infra.event_store._schema import INSERT, SCHEMA
from ironstar.kernel import uuid7

PAYLOAD = '{"type":"Added","amount":1}'

type Lib = Literal["sqlite3", "apsw"]
type Conn = sqlite3.Connection | apsw.Connection
type Row = tuple[int | str | None, ...]

_ROWS = (
    "SELECT position, aggregate_type, aggregate_id, sequence, event_type, event_version,"
    " CAST(payload AS BLOB) FROM events WHERE position > ? ORDER BY position LIMIT 1000"
)
_STAR = "SELECT * FROM events WHERE position > ? ORDER BY position LIMIT 1000"


def _open(path: Path, lib: Lib) -> Conn:
    """Autocommit (we BEGIN ourselves) on either driver."""
    if lib == "apsw":
        return apsw.Connection(str(path))
    return sqlite3.connect(path, isolation_level=None)


def _connect(path: Path, lib: Lib) -> Conn:
    conn = _open(path, lib)
    conn.execute("PRAGMA journal_mode = WAL").fetchall()
    conn.execute("PRAGMA synchronous = FULL")
    if isinstance(conn, apsw.Connection):
        conn.execute(SCHEMA)
    else:
        conn.executescript(SCHEMA)
    return conn


def _rows(start: int, n: int, stream: str) -> list[Row]:
    return [
        (start + i, uuid7(), "counter", stream, i + 1, "Added", 1, PAYLOAD, None, "now")
        for i in range(n)
    ]


def batched(tmp: Path, total: int, per_txn: int, lib: Lib = "sqlite3") -> tuple[int, float]:
    conn = _connect(tmp / "raw.db", lib)
    batches = [_rows(i * per_txn + 1, per_txn, f"s{i}") for i in range(total // per_txn)]
    with Timer() as t:
        for batch in batches:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(INSERT, batch)
            conn.execute("COMMIT")
    conn.close()
    return total, t.seconds


def _read(path: Path, sql: str, lib: Lib) -> tuple[int, float]:
    conn = _open(path, lib)
    count, after = 0, 0
    with Timer() as t:
        while batch := conn.execute(sql, (after,)).fetchall():
            count += len(batch)
            after = cast(int, batch[-1][0])
    conn.close()
    return count, t.seconds


def read_all(path: Path, lib: Lib = "sqlite3") -> tuple[int, float]:
    return _read(path, _STAR, lib)


def read_rows(path: Path, lib: Lib = "sqlite3") -> tuple[int, float]:
    """The same seven columns as Ironstar's `read_all_rows`, as plain tuples."""
    return _read(path, _ROWS, lib)


def loads(path: Path, n: int, lib: Lib = "sqlite3") -> tuple[int, float]:
    conn = _open(path, lib)
    sql = "SELECT * FROM events WHERE aggregate_type = ? AND aggregate_id = ? ORDER BY sequence"
    with Timer() as t:
        for i in range(n):
            conn.execute(sql, ("counter", f"s{i % 50}")).fetchall()
    conn.close()
    return n, t.seconds


def singles(tmp: Path, n: int, lib: Lib = "sqlite3") -> tuple[int, float]:
    """One event per `BEGIN IMMEDIATE ... COMMIT`: the sequential fsync ceiling."""
    conn = _connect(tmp / "raw.db", lib)
    rows = _rows(1, n, "s")
    with Timer() as t:
        for row in rows:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT, row)
            conn.execute("COMMIT")
    conn.close()
    return n, t.seconds
