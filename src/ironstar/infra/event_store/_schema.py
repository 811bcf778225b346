"""The `events` table (exactly as ARCHITECTURE.md), connection settings and row mapping."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import msgspec

from ironstar.kernel import StoredEvent

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
  position       INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id       TEXT NOT NULL UNIQUE,
  aggregate_type TEXT NOT NULL,
  aggregate_id   TEXT NOT NULL,
  sequence       INTEGER NOT NULL,
  event_type     TEXT NOT NULL,
  event_version  INTEGER NOT NULL,
  payload        TEXT NOT NULL,
  metadata       TEXT,
  created_at     TEXT NOT NULL,
  UNIQUE (aggregate_type, aggregate_id, sequence)
);
"""

# CAST(... AS BLOB) hands the JSON to Python as bytes without a UTF-8 round trip.
COLUMNS = (
    "position, event_id, aggregate_type, aggregate_id, sequence, event_type, event_version,"
    " CAST(payload AS BLOB), metadata, created_at"
)
INSERT_HEAD = (
    "INSERT INTO events (position, event_id, aggregate_type, aggregate_id, sequence,"
    " event_type, event_version, payload, metadata, created_at) VALUES "
)
ROW_MARKS = "(?,?,?,?,?,?,?,?,?,?)"
INSERT = INSERT_HEAD + ROW_MARKS

BUSY_TIMEOUT_MS = 10_000

_decode_metadata = msgspec.json.Decoder(dict[str, str]).decode


def connect(path: Path, *, durable: bool, readonly: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (we issue BEGIN ourselves), WAL, explicit sync level.

    `synchronous=FULL` fsyncs the WAL on every commit (survives power loss);
    `NORMAL` only at checkpoints (survives a process crash, not power loss).
    Speed-only settings that leave durability alone: reads through a memory map
    (`mmap_size`, 256 MiB of address space, not memory) and a page cache of up to 64 MiB
    per connection, so the unique indexes of a large log stay cached for appends.
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in (
        f"busy_timeout = {BUSY_TIMEOUT_MS}",
        "mmap_size = 268435456",
        "cache_size = -65536",
    ):
        conn.execute(f"PRAGMA {pragma}")
    if readonly:
        conn.execute("PRAGMA query_only = 1")
        return conn
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
    return conn


def create_schema(path: Path) -> None:
    conn = connect(path, durable=True)
    try:
        conn.executescript(SCHEMA)
    finally:
        conn.close()


def to_events(rows: list[Any]) -> list[StoredEvent]:
    """Rows selected with COLUMNS → envelopes (positional construction: the hot path)."""
    decode = _decode_metadata
    return [
        StoredEvent(p, i, at, ai, s, et, ev, pl, decode(m) if m else {}, c)
        for p, i, at, ai, s, et, ev, pl, m, c in rows
    ]
