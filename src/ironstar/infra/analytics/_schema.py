"""The DuckDB side of the analytics projection: tables, connection, and the batch loader.

One row per stored event in `events` (a flat, columnar copy of the log with the payload
fields the queries need pulled out), and one row per projection in `checkpoints`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
  position       BIGINT NOT NULL,
  aggregate_type VARCHAR NOT NULL,
  aggregate_id   VARCHAR NOT NULL,
  event_type     VARCHAR NOT NULL,
  created_at     TIMESTAMP NOT NULL,  -- UTC
  todo_id        VARCHAR,
  todo_key       UBIGINT,             -- hash(aggregate_id, todo_id): a cheap grouping key
  text_length    INTEGER,
  item_count     INTEGER              -- todos touched: 1, or the size of a bulk event
);
CREATE TABLE IF NOT EXISTS checkpoints (
  name     VARCHAR PRIMARY KEY,
  position BIGINT NOT NULL
);
"""

# The payload fields any event type may carry; absent ones read as NULL.
PAYLOAD = "STRUCT(todo_id VARCHAR, text VARCHAR, todo_ids VARCHAR[])"

# Rows come in as newline-delimited JSON (`source.py`: msgspec or SQLite's JSON1); DuckDB's JSON
# reader parses them in parallel, payload included, far faster than `executemany`.
LOAD = f"""
INSERT INTO events
SELECT p, t, a, e, c::TIMESTAMPTZ::TIMESTAMP, j.todo_id,
       CASE WHEN j.todo_id IS NOT NULL THEN hash(a, j.todo_id) END, length(j.text),
       coalesce(len(j.todo_ids), 1)
FROM read_json(?, format = 'newline_delimited', columns = {{
  p: 'BIGINT', t: 'VARCHAR', a: 'VARCHAR', e: 'VARCHAR', c: 'VARCHAR', j: '{PAYLOAD}'
}})
WHERE p > ?
"""

CHECKPOINT = (
    "INSERT INTO checkpoints (name, position) VALUES (?, ?)"
    " ON CONFLICT (name) DO UPDATE SET position = excluded.position"
)


# Bump when SCHEMA or LOAD change: an older file is dropped and rebuilt from the log
# (it is a derived view; the event store is the source of truth).
SCHEMA_VERSION = 2
_VERSION_ROW = "__schema__"


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A connection with the current schema in place; `":memory:"` for tests."""
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path))
    conn.execute(SCHEMA)
    if checkpoint(conn, _VERSION_ROW) != SCHEMA_VERSION:
        conn.execute("DROP TABLE events; DROP TABLE checkpoints")
        conn.execute(SCHEMA)
        conn.execute(CHECKPOINT, [_VERSION_ROW, SCHEMA_VERSION])
    return conn


def checkpoint(conn: duckdb.DuckDBPyConnection, name: str) -> int:
    row = conn.execute("SELECT position FROM checkpoints WHERE name = ?", [name]).fetchone()
    return int(row[0]) if row else 0
