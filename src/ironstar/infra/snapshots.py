"""SqliteSnapshotStore: the latest snapshot per stream, in the event store's own file.

A snapshot is a cache of a fold: losing one costs a replay, never a wrong state. So
writes give way to the event log. They run on a worker thread (the event loop never
waits for the file's write lock), on a connection of their own that does not fsync
(`synchronous=NORMAL`: the log's next commit or checkpoint makes them durable) and
gives up after a short busy timeout: a snapshot that cannot get the lock in time is
dropped, and a later one takes its place. The older-never-replaces-newer rule is the
upsert's `WHERE`, so it holds across processes too. Reads run inline on a query-only
connection, like the event store's: a WAL reader never waits for a writer.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import cast

import apsw
import structlog

from ironstar.infra.event_store.connection import open_connection, pragma
from ironstar.kernel import Snapshot, StoreClosedError, utc_now_iso

log = structlog.get_logger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
  aggregate_type  TEXT NOT NULL,
  aggregate_id    TEXT NOT NULL,
  decider_version INTEGER NOT NULL,
  sequence        INTEGER NOT NULL,
  state           BLOB NOT NULL,
  created_at      TEXT NOT NULL,
  PRIMARY KEY (aggregate_type, aggregate_id)
);
"""

# The upsert's `WHERE` is the older-never-replaces-newer rule (PostgreSQL uses it too).
PUT = """
INSERT INTO snapshots (aggregate_type, aggregate_id, decider_version, sequence, state, created_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET
  decider_version = excluded.decider_version, sequence = excluded.sequence,
  state = excluded.state, created_at = excluded.created_at
WHERE excluded.sequence >= snapshots.sequence
"""
GET = (
    "SELECT decider_version, sequence, state FROM snapshots"
    " WHERE aggregate_type = ? AND aggregate_id = ?"
)


def put_args(snapshot: Snapshot) -> tuple[str, str, int, int, bytes, str]:
    """`PUT`'s parameters for `snapshot`, stamped now."""
    return (
        snapshot.aggregate_type,
        snapshot.aggregate_id,
        snapshot.decider_version,
        snapshot.sequence,
        snapshot.state,
        utc_now_iso(),
    )


def from_row(aggregate_type: str, aggregate_id: str, row: tuple[int, int, bytes]) -> Snapshot:
    """The snapshot of a `GET` row (decider_version, sequence, state)."""
    version, sequence, state = row
    return Snapshot(
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        decider_version=version,
        sequence=sequence,
        state=bytes(state),
    )


def skipped(snapshot: Snapshot, exc: Exception) -> None:
    """A write that failed: logged and dropped (a later snapshot takes its place)."""
    log.warning(
        "snapshot.skipped",
        aggregate_type=snapshot.aggregate_type,
        sequence=snapshot.sequence,
        error=repr(exc),
    )


# Long enough for the log's group commit (an fsync) to finish, short enough that a
# command waiting on its snapshot is not held up for long when the lock stays taken.
WRITE_BUSY_TIMEOUT_MS = 1000


class SqliteSnapshotStore:
    """Implements the `SnapshotStore` port on one SQLite file (shared with `events`)."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = WRITE_BUSY_TIMEOUT_MS) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = open_connection(path)  # the default timeout while creating the table
        pragma(self._writer, "journal_mode = WAL")
        pragma(self._writer, "synchronous = NORMAL")
        self._writer.execute(SCHEMA)
        self._writer.set_busy_timeout(busy_timeout_ms)
        self._reader = open_connection(path)
        pragma(self._reader, "query_only = 1")
        # apsw connections serve one thread at a time; puts run on pool threads.
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._closed = False

    async def get(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None:
        with self._read_lock:
            self._check_open()
            rows = self._reader.execute(GET, (aggregate_type, aggregate_id)).fetchall()
        if not rows:
            return None
        return from_row(aggregate_type, aggregate_id, cast("tuple[int, int, bytes]", rows[0]))

    async def put(self, snapshot: Snapshot) -> None:
        """Store `snapshot` unless a newer one is stored; never raises for SQLite's sake
        (it is called after the command's events are committed)."""
        await asyncio.to_thread(self._write, snapshot)

    def _write(self, snapshot: Snapshot) -> None:
        with self._write_lock:
            self._check_open()
            try:
                self._writer.execute(PUT, put_args(snapshot))
            except apsw.Error as exc:  # busy past the timeout, disk full...: skip this one
                skipped(snapshot, exc)

    async def close(self) -> None:
        """Close both connections (waiting for a write in progress). Idempotent."""
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._write_lock, self._read_lock:
            if not self._closed:
                self._closed = True
                self._writer.close()
                self._reader.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError("snapshot store is closed")
