"""PostgresEventStore: the `EventStore` port on PostgreSQL (psycopg 3, the `postgres` extra).

Open with `store = await PostgresEventStore.open("postgresql://...")`; the store creates
its two tables in the connection's `search_path` schema if they are missing. One writer
connection group-commits: appends made while a transaction is in flight (or in the same
loop iteration as an idle writer's first) are committed together in the next one, each
checked on its own, so a conflict fails only its caller. Readers come from a small pool
in autocommit: each read is one statement on the last committed state.

Positions are assigned by the writer, not by a sequence. Every append transaction first
locks the one row of `event_head` (`SELECT ... FOR UPDATE`), which holds the last position
ever given out, and writes it back before it commits. The row lock serializes appends from
every connection and process, so positions are committed in increasing order (a reader
following `position > last` never misses a late commit with a lower position); and
since the counter is updated in the same transaction as the events, a rolled-back
append gives nothing back to fill, so positions are gapless. An identity column would
not be: sequences are not transactional, a failed transaction (or a crash, after which a
sequence resumes up to 32 values ahead) leaves holes. The counter never goes down, so a
position is never reused, even if the last events were deleted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

import msgspec
import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg_pool import AsyncConnectionPool

# The same request as the SQLite writer's: stream, expected version, events, a future.
from ironstar.infra.event_store._writer import AppendRequest as _Append
from ironstar.kernel import (
    ConcurrencyError,
    DuplicateEventError,
    EventRow,
    NewEvent,
    StoreClosedError,
    StoredEvent,
    StreamRow,
    utc_now_iso,
)

# Payload and metadata as TEXT, like SQLite: the payload comes back byte for byte as it was
# appended (JSONB would reorder keys and drop whitespace, and refuse a corrupt payload
# that the codec must be able to report). created_at TEXT keeps the envelope's own string.
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
  position       BIGINT PRIMARY KEY,
  event_id       TEXT NOT NULL UNIQUE,
  aggregate_type TEXT NOT NULL,
  aggregate_id   TEXT NOT NULL,
  sequence       BIGINT NOT NULL,
  event_type     TEXT NOT NULL,
  event_version  INTEGER NOT NULL,
  payload        TEXT NOT NULL,
  metadata       TEXT,
  created_at     TEXT NOT NULL,
  UNIQUE (aggregate_type, aggregate_id, sequence)
);
CREATE TABLE IF NOT EXISTS event_head (
  one_row  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one_row),
  position BIGINT NOT NULL
);
INSERT INTO event_head (position) VALUES (0) ON CONFLICT DO NOTHING;
"""
_SCHEMA_LOCK = 0x1E0_5CA  # serializes concurrent `CREATE TABLE IF NOT EXISTS`

# convert_to(...) hands the payload over as bytea: the stored bytes, no decode/encode.
_PAYLOAD = "convert_to(payload, 'UTF8')"
_COLUMNS = (
    "position, event_id, aggregate_type, aggregate_id, sequence, event_type, event_version,"
    f" {_PAYLOAD}, metadata, created_at"
)
_ROW_COLUMNS = (
    f"position, aggregate_type, aggregate_id, sequence, event_type, event_version, {_PAYLOAD}"
)
_STREAM_WHERE = "WHERE aggregate_type = %s AND aggregate_id = %s AND sequence > %s"
_STREAM = f"SELECT {_COLUMNS} FROM events {_STREAM_WHERE} ORDER BY sequence"
_STREAM_ROWS = (
    f"SELECT position, sequence, event_type, event_version, {_PAYLOAD} FROM events"
    f" {_STREAM_WHERE} ORDER BY sequence"
)
_ALL = "SELECT {} FROM events WHERE position > %s ORDER BY position LIMIT %s"
_ALL_OF_TYPE = (
    "SELECT {} FROM events WHERE position > %s AND aggregate_type = %s ORDER BY position LIMIT %s"
)
_ONE = f"SELECT {_COLUMNS} FROM events WHERE position = %s"
_LAST = "SELECT COALESCE(MAX(position), 0) FROM events"

_LOCK_HEAD = "SELECT position FROM event_head FOR UPDATE"
# The head moves and every listener of `CHANNEL` hears the new last position, both at
# commit (PostgreSQL delivers a transaction's notifications when it commits).
CHANNEL = "ironstar_events"
_ADVANCE_HEAD = "UPDATE event_head SET position = %s"
_NOTIFY = f"SELECT pg_notify('{CHANNEL}', %s)"
_VERSIONS = (
    "SELECT k.t, k.i, (SELECT MAX(sequence) FROM events"
    "  WHERE aggregate_type = k.t AND aggregate_id = k.i)"
    " FROM unnest(%s::text[], %s::text[]) AS k(t, i)"
)
_STORED = f"SELECT {_COLUMNS} FROM events WHERE event_id = ANY(%s::text[]) ORDER BY position"
# One statement for the whole batch, its columns as arrays: one round trip whatever its size.
_INSERT = (
    "INSERT INTO events (position, event_id, aggregate_type, aggregate_id, sequence,"
    " event_type, event_version, payload, metadata, created_at)"
    " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::bigint[],"
    " %s::text[], %s::int[], %s::text[], %s::text[], %s::text[])"
)

type Key = tuple[str, str]
type Result = list[StoredEvent] | BaseException | None  # None: not decided in this batch
type Row = tuple[int, str, str, str, int, str, int, str, str | None, str]

_MAX_BATCH = 1000
_encode = msgspec.json.encode
_decode_metadata = msgspec.json.Decoder(dict[str, str]).decode


class PostgresEventStore:
    """Implements the `EventStore` port on one PostgreSQL schema; used from one event loop."""

    def __init__(
        self, conninfo: str, writer: AsyncConnection[Any], readers: AsyncConnectionPool
    ) -> None:
        """Prefer `await PostgresEventStore.open(...)`, which connects and creates the schema."""
        self.conninfo = conninfo
        self._writer = writer
        self._readers = readers
        self._queue: list[_Append] = []
        self._draining: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def open(cls, conninfo: str, *, readers: int = 4) -> PostgresEventStore:
        writer = await AsyncConnection.connect(conninfo)
        pool = AsyncConnectionPool(
            conninfo, min_size=1, max_size=readers, open=False, kwargs={"autocommit": True}
        )
        try:
            async with writer.transaction():
                await writer.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                await writer.execute(SCHEMA)
            await pool.open(wait=True)
        except BaseException:
            await writer.close()
            await pool.close()
            raise
        return cls(conninfo, writer, pool)

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
    ) -> list[StoredEvent]:
        self._check_open()
        if not events:
            return []
        loop = asyncio.get_running_loop()
        request = _Append(aggregate_type, aggregate_id, expected_version, events, loop)
        self._queue.append(request)
        if self._draining is None:
            # Starts on the next loop iteration: every append made in this one joins it.
            self._draining = asyncio.create_task(self._drain())
        return await request.future

    async def read_stream(
        self, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> list[StoredEvent]:
        return _to_events(await self._read(_STREAM, (aggregate_type, aggregate_id, after_sequence)))

    async def read_stream_rows(
        self, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> list[StreamRow]:
        args = (aggregate_type, aggregate_id, after_sequence)
        return cast("list[StreamRow]", await self._read(_STREAM_ROWS, args))

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, aggregate_type: str | None = None
    ) -> list[StoredEvent]:
        return _to_events(await self._read_all(_COLUMNS, after_position, limit, aggregate_type))

    async def read_all_rows(
        self, after_position: int = 0, limit: int = 1000, aggregate_type: str | None = None
    ) -> list[EventRow]:
        rows = await self._read_all(_ROW_COLUMNS, after_position, limit, aggregate_type)
        return cast("list[EventRow]", rows)

    async def read_position(self, position: int) -> StoredEvent | None:
        found = _to_events(await self._read(_ONE, (position,)))
        return found[0] if found else None

    async def last_position(self) -> int:
        rows = await self._read(_LAST, ())
        return int(rows[0][0])

    async def close(self) -> None:
        """Commit what is queued, then close every connection. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._draining is not None:
            await asyncio.shield(self._draining)
        await self._writer.close()
        await self._readers.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError("event store is closed")

    async def _read(self, query: str, args: Sequence[object]) -> list[tuple[Any, ...]]:
        self._check_open()
        async with self._readers.connection() as conn:
            cursor = await conn.execute(query, args, binary=True)
            return await cursor.fetchall()

    async def _read_all(
        self, columns: str, after: int, limit: int, aggregate_type: str | None
    ) -> list[tuple[Any, ...]]:
        if aggregate_type is None:
            return await self._read(_ALL.format(columns), (after, limit))
        return await self._read(_ALL_OF_TYPE.format(columns), (after, aggregate_type, limit))

    # The writer: one transaction at a time on `_writer`, run by the `_drain` task.

    async def _drain(self) -> None:
        batch: list[_Append] = []
        try:
            while self._queue:
                batch, self._queue = self._queue[:_MAX_BATCH], self._queue[_MAX_BATCH:]
                results = await self._commit(batch)
                # Requests not decided (their ids repeat an earlier request's) go first next.
                self._queue[:0] = [r for r, res in zip(batch, results, strict=True) if res is None]
                for request, result in zip(batch, results, strict=True):
                    _resolve(request, result)
        finally:
            self._draining = None
            for request in [*batch, *self._queue]:  # unanswered only if this task was cancelled
                _resolve(request, StoreClosedError("event store is closed"))
            self._queue.clear()

    async def _commit(self, batch: list[_Append]) -> list[Result]:
        try:
            return await self._attempt(batch)
        except Exception as exc:  # handed to the callers, one by one
            if len(batch) == 1:
                return [await self._explain(batch[0], exc)]
            # Something no check foresaw (a payload that is not UTF-8...): retry each alone,
            # so one bad request fails alone.
            return [(await self._commit([request]))[0] for request in batch]

    async def _explain(self, request: _Append, exc: Exception) -> Result:
        """A lone append failed: a unique violation still means a repeat or a conflict."""
        if not isinstance(exc, psycopg.errors.UniqueViolation):
            return exc
        try:
            return (await self._attempt([request]))[0]
        except psycopg.Error as again:
            return again

    async def _attempt(self, batch: list[_Append]) -> list[Result]:
        """One transaction, tried again on a new connection if the server dropped ours:
        safe even if the first one committed, the second is then a repeat of its ids."""
        try:
            return await self._transaction(batch)
        except psycopg.OperationalError:
            if not self._writer.broken:
                raise
            return await self._transaction(batch)

    async def _transaction(self, batch: list[_Append]) -> list[Result]:
        conn = await self._connection()
        async with conn.transaction(), conn.cursor(binary=True) as cursor:
            await cursor.execute(_LOCK_HEAD)
            position = cast("tuple[int]", await cursor.fetchone())[0]
            versions = await _versions(cursor, batch)
            stored = await _stored(cursor, batch)
            results, rows, position = _plan(batch, position, versions, stored)
            if rows:
                await cursor.execute(_INSERT, [list(column) for column in zip(*rows, strict=True)])
                await cursor.execute(_ADVANCE_HEAD, (position,))
                await cursor.execute(_NOTIFY, (str(position),))
        return results

    async def _connection(self) -> AsyncConnection[Any]:
        """The writer connection, opened again if the server dropped it."""
        if self._writer.broken or self._writer.closed:
            self._writer = await AsyncConnection.connect(self.conninfo)
        return self._writer


async def _versions(cursor: AsyncCursor[Any], batch: list[_Append]) -> dict[Key, int]:
    keys = list({(r.aggregate_type, r.aggregate_id): None for r in batch})
    await cursor.execute(_VERSIONS, ([k[0] for k in keys], [k[1] for k in keys]))
    return {(t, i): version or 0 for t, i, version in await cursor.fetchall()}


async def _stored(cursor: AsyncCursor[Any], batch: list[_Append]) -> dict[str, StoredEvent]:
    """The batch's event ids that are already stored (a retry, or a reused id)."""
    await cursor.execute(_STORED, ([e.event_id for r in batch for e in r.events],))
    return {e.event_id: e for e in _to_events(await cursor.fetchall())}


def _plan(
    batch: list[_Append], position: int, versions: dict[Key, int], stored: dict[str, StoredEvent]
) -> tuple[list[Result], list[Row], int]:
    """Decide each request in order; stamp the accepted ones after the ones before them."""
    results: list[Result] = []
    rows: list[Row] = []
    staged: set[str] = set()
    now = utc_now_iso()
    for req in batch:
        key = (req.aggregate_type, req.aggregate_id)
        ids = [e.event_id for e in req.events]
        if staged.intersection(ids):
            results.append(None)  # decided once the earlier request is committed
            continue
        if found := [stored[i] for i in ids if i in stored]:
            results.append(_repeat(req, found))
        elif versions[key] != req.expected_version:
            error = ConcurrencyError(*key, req.expected_version, versions[key])
            results.append(error)
        else:
            events = _stamp(req, position, now)
            results.append(events)
            rows.extend(_row(e) for e in events)
            staged.update(ids)
            position += len(events)
            versions[key] += len(events)
    return results, rows, position


def _repeat(req: _Append, found: list[StoredEvent]) -> Result:
    """All ids stored in this stream: a retry of a committed append. Anything else: refused."""
    key = (req.aggregate_type, req.aggregate_id)
    if len(found) == len(req.events) and all(
        (e.aggregate_type, e.aggregate_id) == key for e in found
    ):
        return found
    return DuplicateEventError(f"event ids already stored elsewhere: {[e.event_id for e in found]}")


def _stamp(req: _Append, position: int, now: str) -> list[StoredEvent]:
    return [
        StoredEvent(
            position + i,
            e.event_id,
            req.aggregate_type,
            req.aggregate_id,
            req.expected_version + i,
            e.event_type,
            e.event_version,
            e.payload,
            dict(e.metadata),
            now,
        )
        for i, e in enumerate(req.events, start=1)
    ]


def _row(e: StoredEvent) -> Row:
    metadata = _encode(e.metadata).decode() if e.metadata else None
    return (
        e.position, e.event_id, e.aggregate_type, e.aggregate_id, e.sequence, e.event_type,
        e.event_version, e.payload.decode(), metadata, e.created_at,
    )  # fmt: skip


def _to_events(rows: list[tuple[Any, ...]]) -> list[StoredEvent]:
    decode = _decode_metadata
    return [
        StoredEvent(p, i, at, ai, s, et, ev, pl, decode(m) if m else {}, c)
        for p, i, at, ai, s, et, ev, pl, m, c in rows
    ]


def _resolve(request: _Append, result: Result) -> None:
    if request.future.done() or result is None:
        return  # cancelled by its caller (the append may still have committed), or requeued
    if isinstance(result, BaseException):
        request.future.set_exception(result)
    else:
        request.future.set_result(result)
