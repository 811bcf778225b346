"""The `events` table (exactly as ARCHITECTURE.md), connection settings and row mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import apsw
import msgspec

from ironstar.infra.event_store.connection import open_connection, pragma
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

_decode_metadata = msgspec.json.Decoder(dict[str, str]).decode


def connect(path: Path, *, durable: bool, readonly: bool = False) -> apsw.Connection:
    """A connection in autocommit mode (we issue BEGIN ourselves), WAL, explicit sync level.

    `synchronous=FULL` fsyncs the WAL on every commit (survives power loss);
    `NORMAL` only at checkpoints (survives a process crash, not power loss).
    Speed-only settings that leave durability alone: reads through a memory map
    (`mmap_size`, 256 MiB of address space, not memory) and a page cache of up to 64 MiB
    per connection, so the unique indexes of a large log stay cached for appends.
    """
    conn = open_connection(path)
    pragma(conn, "mmap_size = 268435456")
    pragma(conn, "cache_size = -65536")
    if readonly:
        pragma(conn, "query_only = 1")
        return conn
    pragma(conn, "journal_mode = WAL")
    pragma(conn, f"synchronous = {'FULL' if durable else 'NORMAL'}")
    return conn


def create_schema(path: Path) -> None:
    conn = connect(path, durable=True)
    try:
        conn.execute(SCHEMA)
    finally:
        conn.close()


def to_events(rows: list[Any]) -> list[StoredEvent]:
    """Rows selected with COLUMNS → envelopes (positional construction: the hot path)."""
    decode = _decode_metadata
    return [
        StoredEvent(p, i, at, ai, s, et, ev, pl, decode(m) if m else {}, c)
        for p, i, at, ai, s, et, ev, pl, m, c in rows
    ]
