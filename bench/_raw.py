"""The ceiling: plain sqlite3 with Ironstar's schema and the same durability."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench._timing import Timer
from ironstar.infra.event_store._schema import INSERT, SCHEMA
from ironstar.kernel import uuid7

PAYLOAD = '{"type":"Added","amount":1}'


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.executescript(SCHEMA)
    return conn


def _rows(start: int, n: int, stream: str) -> list[tuple[object, ...]]:
    return [
        (start + i, uuid7(), "counter", stream, i + 1, "Added", 1, PAYLOAD, None, "now")
        for i in range(n)
    ]


def batched(tmp: Path, total: int, per_txn: int) -> tuple[int, float]:
    conn = _connect(tmp / "raw.db")
    batches = [_rows(i * per_txn + 1, per_txn, f"s{i}") for i in range(total // per_txn)]
    with Timer() as t:
        for batch in batches:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(INSERT, batch)
            conn.execute("COMMIT")
    conn.close()
    return total, t.seconds


def read_all(path: Path) -> tuple[int, float]:
    conn = sqlite3.connect(path)
    sql = "SELECT * FROM events WHERE position > ? ORDER BY position LIMIT 1000"
    count, after = 0, 0
    with Timer() as t:
        while batch := conn.execute(sql, (after,)).fetchall():
            count += len(batch)
            after = batch[-1][0]
    conn.close()
    return count, t.seconds


def read_rows(path: Path) -> tuple[int, float]:
    """The same seven columns as Ironstar's `read_all_rows`, as plain tuples."""
    conn = sqlite3.connect(path)
    sql = (
        "SELECT position, aggregate_type, aggregate_id, sequence, event_type, event_version,"
        " CAST(payload AS BLOB) FROM events WHERE position > ? ORDER BY position LIMIT 1000"
    )
    count, after = 0, 0
    with Timer() as t:
        while batch := conn.execute(sql, (after,)).fetchall():
            count += len(batch)
            after = batch[-1][0]
    conn.close()
    return count, t.seconds


def loads(path: Path, n: int) -> tuple[int, float]:
    conn = sqlite3.connect(path)
    sql = "SELECT * FROM events WHERE aggregate_type = ? AND aggregate_id = ? ORDER BY sequence"
    with Timer() as t:
        for i in range(n):
            conn.execute(sql, ("counter", f"s{i % 50}")).fetchall()
    conn.close()
    return n, t.seconds


def singles(tmp: Path, n: int) -> tuple[int, float]:
    """One event per `BEGIN IMMEDIATE ... COMMIT`: the sequential fsync ceiling."""
    conn = _connect(tmp / "raw.db")
    rows = _rows(1, n, "s")
    with Timer() as t:
        for row in rows:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT, row)
            conn.execute("COMMIT")
    conn.close()
    return n, t.seconds
