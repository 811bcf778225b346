"""The single writer: group commit of concurrent appends.

Appends made in the same event-loop iteration are gathered and handed over together
(one `call_soon` flush). A lone append, while the writer thread is idle and nothing
is queued, is committed right there on the loop thread (`inline=True`): a sequential
caller then pays no thread hand-off (queue → writer thread → `call_soon_threadsafe`,
~0.2 ms), at the price of the loop waiting for that one fsync (which is what it
would wait for anyway). Anything else goes to the writer thread: appends queue up
while the previous transaction is fsyncing, the thread then takes everything queued
(up to `max_batch`) and commits it in one `BEGIN IMMEDIATE` and one fsync, while the
loop keeps preparing the next batch. A lock makes the two paths take turns on the
one connection. Each request is checked on its own (expected version, repeated ids), so a
conflict fails only its caller. If the batch transaction fails anyway (a constraint
we did not foresee, disk full...), it is rolled back and each request is retried in
its own transaction, so one bad request never fails the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from ironstar.infra.event_store._schema import (
    BUSY_TIMEOUT_MS,
    COLUMNS,
    INSERT,
    connect,
    to_events,
)
from ironstar.kernel import (
    ConcurrencyError,
    DuplicateEventError,
    NewEvent,
    StoreClosedError,
    StoredEvent,
    utc_now_iso,
)

type Result = list[StoredEvent] | BaseException
type Key = tuple[str, str]

_encode = msgspec.json.encode


@dataclass(slots=True)
class AppendRequest:
    aggregate_type: str
    aggregate_id: str
    expected_version: int
    events: Sequence[NewEvent]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[list[StoredEvent]] = field(init=False)

    def __post_init__(self) -> None:
        self.future = self.loop.create_future()


class Writer:
    """Owns the only write connection; `submit` is called from event loops."""

    def __init__(
        self, path: Path, *, durable: bool, max_batch: int = 1024, inline: bool = True
    ) -> None:
        self._conn = connect(path, durable=durable)
        self._queue: queue.SimpleQueue[AppendRequest | None] = queue.SimpleQueue()
        self._max_batch = max_batch
        self._inline = inline
        self._closed = False
        self._lock = threading.Lock()  # held by whoever runs a transaction on `_conn`
        self._gathering: dict[asyncio.AbstractEventLoop, list[AppendRequest]] = {}
        self._thread = threading.Thread(target=self._run, name="ironstar-writer", daemon=True)
        self._thread.start()

    def submit(self, request: AppendRequest) -> None:
        """Called on the request's loop: gather it with this iteration's other appends."""
        if self._closed:
            raise StoreClosedError("event store is closed")
        loop = request.loop
        gathered = self._gathering.get(loop)
        if gathered is None:
            self._gathering[loop] = [request]
            loop.call_soon(self._flush, loop)
        else:
            gathered.append(request)

    def hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        """Queue what `loop` has gathered now (before `close`, so it gets committed)."""
        for req in self._gathering.pop(loop, ()):
            self._queue.put(req)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._gathering.pop(loop, None)
        if not batch:
            return  # handed over by `close`
        if self._closed:
            _resolve([(req, _closed_error()) for req in batch])
            return
        if (
            self._inline
            and len(batch) == 1
            and self._queue.empty()
            and self._lock.acquire(blocking=False)
        ):
            try:
                results = self._commit_inline(batch)
            finally:
                self._lock.release()
            if results is not None:
                _resolve(list(zip(batch, results, strict=True)))
                return
        for req in batch:
            self._queue.put(req)

    def close(self) -> None:
        """Finish queued appends, then stop the thread and close the connection."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
            late: list[AppendRequest] = []  # flushed while we were stopping
            while not self._queue.empty():
                if (item := self._queue.get_nowait()) is not None:
                    late.append(item)
            _settle(late, [_closed_error() for _ in late])

    def _run(self) -> None:
        try:
            while (batch := self._next_batch()) is not None:
                with self._lock:
                    results = self._commit(batch)
                _settle(batch, results)
        finally:
            with self._lock:
                self._conn.close()

    def _next_batch(self) -> list[AppendRequest] | None:
        first = self._queue.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)  # stop after this batch
                break
            batch.append(item)
        return batch

    def _commit_inline(self, batch: list[AppendRequest]) -> list[Result] | None:
        """Commit on the loop thread, or `None` if another connection holds the write
        lock: the loop must not sleep in the busy handler, the writer thread may."""
        if self._closed:
            return [_closed_error() for _ in batch]
        conn = self._conn
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return None
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return self._commit(batch, begun=True)

    def _commit(self, batch: list[AppendRequest], *, begun: bool = False) -> list[Result]:
        try:
            return self._transaction(batch, begun=begun)
        except Exception:
            return [self._alone(request) for request in batch]

    def _alone(self, request: AppendRequest) -> Result:
        try:
            return self._transaction([request])[0]
        except sqlite3.IntegrityError as exc:
            return self._explain(request, exc)
        except Exception as exc:
            return exc

    def _explain(self, request: AppendRequest, exc: sqlite3.IntegrityError) -> Result:
        """The version matched but an insert failed: a reused event id, most likely."""
        found = self._repeat_or_conflict(request, -1)
        return exc if isinstance(found, ConcurrencyError) else found

    def _transaction(self, batch: list[AppendRequest], *, begun: bool = False) -> list[Result]:
        conn = self._conn
        if not begun:
            conn.execute("BEGIN IMMEDIATE")
        try:
            results, rows = self._plan(batch)
            conn.executemany(INSERT, rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return results

    def _plan(self, batch: list[AppendRequest]) -> tuple[list[Result], list[tuple[object, ...]]]:
        """Check every request against the stream versions, stamp the accepted ones."""
        position = self._last_position()
        versions: dict[Key, int] = {}
        results: list[Result] = []
        rows: list[tuple[object, ...]] = []
        now = utc_now_iso()
        for req in batch:
            key = (req.aggregate_type, req.aggregate_id)
            current = versions[key] if key in versions else self._version(key)
            if current != req.expected_version:
                results.append(self._repeat_or_conflict(req, current))
                continue
            stored = _stamp(req, position, now)
            rows.extend(_row(e) for e in stored)
            results.append(stored)
            position += len(stored)
            versions[key] = current + len(stored)
        return results, rows

    def _last_position(self) -> int:
        row = self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
        return int(row[0]) if row else 0

    def _version(self, key: Key) -> int:
        sql = "SELECT MAX(sequence) FROM events WHERE aggregate_type = ? AND aggregate_id = ?"
        row = self._conn.execute(sql, key).fetchone()
        return int(row[0] or 0)

    def _repeat_or_conflict(self, req: AppendRequest, current: int) -> Result:
        ids = [e.event_id for e in req.events]
        marks = ",".join("?" * len(ids))
        sql = f"SELECT {COLUMNS} FROM events WHERE event_id IN ({marks}) ORDER BY position"
        found = to_events(self._conn.execute(sql, ids).fetchall())
        if not found:
            return ConcurrencyError(
                req.aggregate_type, req.aggregate_id, req.expected_version, current
            )
        key = (req.aggregate_type, req.aggregate_id)
        if len(found) == len(ids) and all((e.aggregate_type, e.aggregate_id) == key for e in found):
            return found
        return DuplicateEventError(f"event ids already stored elsewhere: {ids}")


def _stamp(req: AppendRequest, position: int, now: str) -> list[StoredEvent]:
    version = req.expected_version
    return [
        StoredEvent(
            position + i,
            e.event_id,
            req.aggregate_type,
            req.aggregate_id,
            version + i,
            e.event_type,
            e.event_version,
            e.payload,
            e.metadata,
            now,
        )
        for i, e in enumerate(req.events, start=1)
    ]


def _row(e: StoredEvent) -> tuple[object, ...]:
    metadata = _encode(e.metadata).decode() if e.metadata else None
    return (
        e.position,
        e.event_id,
        e.aggregate_type,
        e.aggregate_id,
        e.sequence,
        e.event_type,
        e.event_version,
        e.payload.decode(),
        metadata,
        e.created_at,
    )


def _closed_error() -> StoreClosedError:
    return StoreClosedError("event store is closed")


def _settle(batch: list[AppendRequest], results: list[Result]) -> None:
    """Hand results back with one wake-up per event loop, not one per request."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[AppendRequest, Result]]] = {}
    for req, result in zip(batch, results, strict=True):
        by_loop.setdefault(req.loop, []).append((req, result))
    for loop, pairs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the caller's loop is gone: nobody waits
            loop.call_soon_threadsafe(_resolve, pairs)


def _resolve(pairs: list[tuple[AppendRequest, Result]]) -> None:
    for req, result in pairs:
        if req.future.done():
            continue  # cancelled by its caller; the append may still have committed
        if isinstance(result, BaseException):
            req.future.set_exception(result)
        else:
            req.future.set_result(result)
