"""The DuckDB side of the analytics projection: tables, connection, and the batch loader.

One row per stored event in `events` (a flat, columnar copy of the log with the payload
fields the queries need pulled out), one row per todo in `todos` (its first add and first
completion, kept by a set-based MERGE after each loaded batch, for the completion-time
chart), and one row per projection in `checkpoints`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

OCCURRED_AT = "occurred_at"  # metadata key: when the thing happened (see `_encode.py`)

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
CREATE TABLE IF NOT EXISTS todos (
  todo_key UBIGINT NOT NULL,         -- events.todo_key
  owner    VARCHAR NOT NULL,         -- events.aggregate_id
  added_at TIMESTAMP,                -- first TodoAdded
  done_at  TIMESTAMP                 -- first TodoCompleted
);
CREATE TABLE IF NOT EXISTS checkpoints (
  name     VARCHAR PRIMARY KEY,
  position BIGINT NOT NULL
);
"""

# The payload fields any event type may carry; absent ones read as NULL.
PAYLOAD = "STRUCT(todo_id VARCHAR, text VARCHAR, todo_ids VARCHAR[])"
PAYLOAD_JSON = '{"todo_id": "VARCHAR", "text": "VARCHAR", "todo_ids": "VARCHAR[]"}'
TODO = "todo_list"

# `created_at` comes as ISO-8601 text with an offset. TIMESTAMPTZ's internal value is UTC
# microseconds: `epoch_us` takes it as is, so the column is UTC whatever the session's
# TimeZone (a `::TIMESTAMPTZ::TIMESTAMP` cast converts to local time through ICU: wrong
# off UTC, and ~3x slower).
UTC = "make_timestamp(epoch_us({}::TIMESTAMPTZ))"

# Rows come in as newline-delimited JSON (`source.py`: msgspec or SQLite's JSON1); DuckDB's JSON
# reader parses them in parallel, payload included, far faster than `executemany`.
LOAD = f"""
INSERT INTO events
SELECT p, t, a, e, {UTC.format("c")}, j.todo_id,
       CASE WHEN j.todo_id IS NOT NULL THEN hash(a, j.todo_id) END, length(j.text),
       coalesce(len(j.todo_ids), 1)
FROM read_json(?, format = 'newline_delimited', columns = {{
  p: 'BIGINT', t: 'VARCHAR', a: 'VARCHAR', e: 'VARCHAR', c: 'VARCHAR', j: '{PAYLOAD}'
}})
WHERE p > ?
"""

# The full-rebuild fast path: DuckDB's sqlite_scanner reads the store's file directly
# (parallel over rowid ranges, payload parsed once by `json_transform`), the very same
# rows as LOAD. It scans the whole table (no `position > N` pushdown), so catch-ups stay
# on the NDJSON path. The scanner brings its own copy of SQLite: closing the file there
# drops the POSIX locks this process holds through apsw (the store's writer and readers),
# so only a process that does not write the store may use it (see `follower.py`).
# Parameters: file, after, last.
_STORED_TIME = f"coalesce(json_extract_string(metadata, '$.{OCCURRED_AT}'), created_at)"
SCAN = f"""
INSERT INTO events
SELECT position, aggregate_type, aggregate_id, event_type,
       {UTC.format(_STORED_TIME)},
       j.todo_id, CASE WHEN j.todo_id IS NOT NULL THEN hash(aggregate_id, j.todo_id) END,
       length(j.text), coalesce(len(j.todo_ids), 1)
FROM (
  SELECT *, json_transform(payload, '{PAYLOAD_JSON}') AS j
  FROM sqlite_scan(?, 'events') WHERE position > ? AND position <= ?
)
"""

# Each todo's first add and first completion among the events after a position, one
# GROUP BY over the add/complete rows only (no self-join).
TODOS_AFTER = f"""
SELECT todo_key, any_value(aggregate_id) AS owner,
       min(created_at) FILTER (event_type = 'TodoAdded') AS added_at,
       min(created_at) FILTER (event_type = 'TodoCompleted') AS done_at
FROM events
WHERE aggregate_type = '{TODO}' AND event_type IN ('TodoAdded', 'TodoCompleted')
  AND todo_key IS NOT NULL AND position > $after
GROUP BY todo_key
"""
# Folds a batch into `todos` (one set-based statement per batch, in its transaction):
# a whole rebuild is one GROUP BY, a catch-up touches only the todos it saw.
TODOS_MERGE = f"""
MERGE INTO todos USING ({TODOS_AFTER}) AS n ON n.todo_key = todos.todo_key
WHEN MATCHED THEN UPDATE SET added_at = least(todos.added_at, n.added_at),
                             done_at = least(todos.done_at, n.done_at)
WHEN NOT MATCHED THEN INSERT (todo_key, owner, added_at, done_at)
                      VALUES (n.todo_key, n.owner, n.added_at, n.done_at)
"""
# For a database that only has `events` (remote files): the same table as a view.
TODOS_VIEW = "CREATE OR REPLACE VIEW todos AS " + TODOS_AFTER.replace("$after", "0")

CHECKPOINT = (
    "INSERT INTO checkpoints (name, position) VALUES (?, ?)"
    " ON CONFLICT (name) DO UPDATE SET position = excluded.position"
)
# Per batch, the row exists (see `AnalyticsProjection`): a plain UPDATE, ~2x cheaper than
# the upsert's index probe.
ADVANCE = "UPDATE checkpoints SET position = ? WHERE name = ?"


# Bump when SCHEMA or LOAD change: an older file is dropped and rebuilt from the log
# (it is a derived view; the event store is the source of truth).
SCHEMA_VERSION = 4  # 4: created_at in UTC whatever the session TimeZone
_VERSION_ROW = "__schema__"


def connect(path: Path | str, *, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the current schema in place; `":memory:"` for tests.

    `threads`: DuckDB's worker threads for this database (None: one per core).
    """
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path), config={} if threads is None else {"threads": threads})
    conn.execute(SCHEMA)
    if checkpoint(conn, _VERSION_ROW) != SCHEMA_VERSION:
        conn.execute("DROP TABLE events; DROP TABLE todos; DROP TABLE checkpoints")
        conn.execute(SCHEMA)
        conn.execute(CHECKPOINT, [_VERSION_ROW, SCHEMA_VERSION])
    return conn


def checkpoint(conn: duckdb.DuckDBPyConnection, name: str) -> int:
    row = conn.execute("SELECT position FROM checkpoints WHERE name = ?", [name]).fetchone()
    return int(row[0]) if row else 0


def sqlite_scanner_path() -> Path:
    import duckdb_extension_sqlite_scanner  # type: ignore[import-untyped]

    root = Path(duckdb_extension_sqlite_scanner.__file__).parent / "extensions"
    return root / f"v{duckdb.__version__}" / "sqlite_scanner.duckdb_extension"


def load_sqlite_scanner(conn: duckdb.DuckDBPyConnection) -> bool:
    """LOAD sqlite_scanner from its wheel (never INSTALL: no download); False if missing."""
    path = sqlite_scanner_path()
    if not path.is_file():
        return False
    conn.execute("LOAD '" + str(path).replace("'", "''") + "'")
    return True
