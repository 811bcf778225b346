"""PostgresSnapshotStore: the latest snapshot per stream, beside a PostgreSQL event log.

The same rules as `SqliteSnapshotStore` (`infra/snapshots.py`): a snapshot is a cache of
a fold, so a write that fails is logged and dropped (the command's events are stored
already), and an older snapshot never replaces a newer one, by the upsert's `WHERE`, in
every process. It opens its own connection on first use, on the loop that uses it, like
`DeferredStore`, so the app factory can build it synchronously; psycopg comes with the
`postgres` extra.
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
from psycopg import AsyncConnection

from ironstar.infra import snapshots
from ironstar.kernel import Snapshot, StoreClosedError

SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
  aggregate_type  TEXT NOT NULL,
  aggregate_id    TEXT NOT NULL,
  decider_version INTEGER NOT NULL,
  sequence        BIGINT NOT NULL,
  state           BYTEA NOT NULL,
  created_at      TEXT NOT NULL,
  PRIMARY KEY (aggregate_type, aggregate_id)
)
"""
# SQLite's statements with PostgreSQL's placeholders: one upsert, one rule.
_PUT = snapshots.PUT.replace("?", "%s")
_GET = snapshots.GET.replace("?", "%s")
_SCHEMA_LOCK = 0x1E0_5CB  # serializes concurrent `CREATE TABLE IF NOT EXISTS`


class PostgresSnapshotStore:
    """Implements the `SnapshotStore` port on one PostgreSQL schema; one event loop."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._conn: AsyncConnection[Any] | None = None
        self._opening = asyncio.Lock()
        self._closed = False

    async def get(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None:
        conn = await self._connection()
        cursor = await conn.execute(_GET, (aggregate_type, aggregate_id))
        row = await cursor.fetchone()
        return None if row is None else snapshots.from_row(aggregate_type, aggregate_id, row)

    async def put(self, snapshot: Snapshot) -> None:
        """Store `snapshot` unless a newer one is stored; a database error is logged."""
        conn = await self._connection()
        try:
            await conn.execute(_PUT, snapshots.put_args(snapshot))
        except psycopg.Error as exc:
            snapshots.skipped(snapshot, exc)

    async def close(self) -> None:
        """Close the connection if one was opened. Idempotent."""
        self._closed = True
        if self._conn is not None:
            await self._conn.close()

    async def _connection(self) -> AsyncConnection[Any]:
        if self._closed:
            raise StoreClosedError("snapshot store is closed")
        if self._conn is None or self._conn.broken:
            async with self._opening:
                if self._conn is None or self._conn.broken:
                    self._conn = await self._open()
        return self._conn

    async def _open(self) -> AsyncConnection[Any]:
        conn = await AsyncConnection.connect(self._conninfo, autocommit=True)
        try:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                await conn.execute(SCHEMA)
        except BaseException:
            await conn.close()
            raise
        return conn
