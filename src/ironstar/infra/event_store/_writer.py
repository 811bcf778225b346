"""The single writer: group commit of concurrent appends.

Appends made in the same event-loop iteration are gathered and handed over together
(one `call_soon` flush). A lone append, while the writer thread is idle and nothing
is queued, is committed right there on the loop thread (`inline=True`): a sequential
caller then pays no thread hand-off (queue → writer thread → `call_soon_threadsafe`,
~0.2 ms), at the price of the loop waiting for that one fsync (which is what it
would wait for anyway). A sequential caller (the task whose lone append was flushed
last, appending again) goes further: its append is committed inside `submit`, so its
future is done before it awaits and it makes no trip through the loop at all
(`_commit_now`, in streaks of at most 2 ms). Anything else goes to the writer thread:
appends queue up while the previous transaction is fsyncing, the thread then takes
everything queued (up to `max_batch`) and commits it in one `BEGIN IMMEDIATE` and one
fsync, while the loop keeps preparing the next batch. A lock makes the two paths take turns on the
one connection. Each request is checked on its own (expected version, repeated ids), so a
conflict fails only its caller. If the batch transaction fails anyway (a constraint
we did not foresee, disk full...), it is rolled back and each request is retried in
its own transaction, so one bad request never fails the others.

The writer remembers what it committed (each stream's last sequence, the last
position), so an append normally runs no `SELECT`; an append expecting version 0 of a
stream it does not know is taken to start a new stream. Both are only guesses,
checked three ways: the connection's data version tells whether another connection
(another process) committed since, and then the last position is re-read and the memory
dropped if events were added; a version mismatch is re-checked with a `SELECT` before
it is reported; and positions and sequences are inserted explicitly, so a stale guess
hits the primary key or the `UNIQUE (aggregate_type, aggregate_id, sequence)`
constraint, the batch is rolled back and every request retried on fresh `SELECT`s.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Sequence
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Any

import apsw
import msgspec

from ironstar.infra.event_store._schema import (
    COLUMNS,
    INSERT,
    INSERT_HEAD,
    ROW_MARKS,
    connect,
    to_events,
)
from ironstar.infra.event_store.connection import BUSY_TIMEOUT_MS, scalar
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
type Row = tuple[apsw.SQLiteValue, ...]  # lazy alias: apsw.SQLiteValue is in the stubs only

_encode = msgspec.json.encode
_CHUNK = 128  # rows per multi-row INSERT (1,280 parameters; 3 kB of SQL, under the 16 kB
# up to which apsw caches a prepared statement: `Connection.cache_stats()`)
_LONG = 8  # events in one append from which multi-row INSERTs pay
_STREAK_SECONDS = 0.002  # how long one caller may keep the loop with back-to-back commits
_REMEMBERED = 100_000  # stream versions kept; past that the memory starts over


class AppendRequest:
    __slots__ = ("aggregate_id", "aggregate_type", "events", "expected_version", "future", "loop")

    def __init__(
        self,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id
        self.expected_version = expected_version
        self.events = events
        self.loop = loop
        self.future: asyncio.Future[list[StoredEvent]] = loop.create_future()


class Writer:
    """Owns the only write connection; `submit` is called from event loops."""

    def __init__(
        self, path: Path, *, durable: bool, max_batch: int = 1024, inline: bool = True
    ) -> None:
        self._conn = connect(path, durable=durable)
        self._sql = self._conn.cursor()  # reused: half the cost of `Connection.execute`
        self._queue: queue.SimpleQueue[list[AppendRequest] | None] = queue.SimpleQueue()
        self._max_batch = max_batch
        self._inline = inline
        self._closed = False
        self._lock = threading.Lock()  # held by whoever runs a transaction on `_conn`
        self._gathering: dict[asyncio.AbstractEventLoop, list[AppendRequest]] = {}
        # What this connection committed last (guarded by `_lock`; see the module doc).
        self._versions: dict[Key, int] = {}
        self._position: int | None = None
        self._data_version: int | None = None
        # The task whose lone append was flushed last (see `_commit_now`).
        self._lone_task: asyncio.Task[Any] | None = None
        self._streak_start: float | None = None
        self._thread = threading.Thread(target=self._run, name="ironstar-writer", daemon=True)
        self._thread.start()

    def submit(self, request: AppendRequest) -> None:
        """Called on the request's loop: gather it with this iteration's other appends."""
        if self._closed:
            raise StoreClosedError("event store is closed")
        loop = request.loop
        gathered = self._gathering.get(loop)
        if gathered is not None:
            gathered.append(request)
            return
        task = asyncio.current_task(loop)
        if task is not None and task is self._lone_task and self._commit_now(request):
            return
        self._gathering[loop] = [request]
        loop.call_soon(self._flush, loop, task)

    def _commit_now(self, request: AppendRequest) -> bool:
        """Commit the append of a sequential caller (the task whose lone append was the
        last one flushed) before it awaits: its future is then done when awaited, so it
        goes on without two trips through the loop. Other tasks' appends are gathered as
        usual (a burst of requests still shares one transaction). A streak of such
        commits is cut after `_STREAK_SECONDS`: that append goes through the loop, which
        lets other tasks run."""
        now = time.perf_counter()
        if self._streak_start is None:
            self._streak_start = now
            request.loop.call_soon(self._end_streak)
        elif now - self._streak_start > _STREAK_SECONDS:
            return False
        return self._try_inline(request)

    def _try_inline(self, request: AppendRequest) -> bool:
        """Commit `request` on this thread and answer it, if the writer is free (nothing
        queued, the lock not held); `False` leaves it to be queued."""
        if not self._inline or not self._queue.empty() or not self._lock.acquire(blocking=False):
            return False
        try:
            result = self._commit_inline(request)
        finally:
            self._lock.release()
        if result is None:
            return False
        _resolve_one(request, result)
        return True

    def _end_streak(self) -> None:
        self._streak_start = None

    def hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        """Queue what `loop` has gathered now (before `close`, so it gets committed)."""
        if batch := self._gathering.pop(loop, None):
            self._queue.put(batch)

    def _flush(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any] | None) -> None:
        batch = self._gathering.pop(loop, None)
        if not batch:
            return  # handed over by `close`
        self._lone_task = task if len(batch) == 1 else None
        if self._closed:
            _resolve([(req, _closed_error()) for req in batch])
            return
        if len(batch) == 1 and self._try_inline(batch[0]):
            return
        self._queue.put(batch)

    def close(self) -> None:
        """Finish queued appends, then stop the thread and close the connection."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
            late: list[AppendRequest] = []  # flushed while we were stopping
            while not self._queue.empty():
                if (item := self._queue.get_nowait()) is not None:
                    late.extend(item)
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
        batch = first  # a list of our own (gathered by `submit`)
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)  # stop after this batch
                break
            batch.extend(item)
        return batch

    def _commit_inline(self, request: AppendRequest) -> Result | None:
        """Commit a lone append on the loop thread, or `None` if another connection holds
        the write lock: the loop must not sleep in the busy handler, the writer thread may."""
        if self._closed:
            return _closed_error()
        conn = self._conn
        conn.set_busy_timeout(0)
        try:
            self._sql.execute("BEGIN IMMEDIATE")
        except apsw.BusyError:
            return None
        finally:
            conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        return self._commit([request], begun=True)[0]

    def _commit(self, batch: list[AppendRequest], *, begun: bool = False) -> list[Result]:
        try:
            return self._transaction(batch, begun=begun)
        except Exception:
            return [self._alone(request) for request in batch]

    def _alone(self, request: AppendRequest) -> Result:
        try:
            return self._transaction([request], guess=False)[0]
        except apsw.ConstraintError as exc:
            return self._explain(request, exc)
        except Exception as exc:
            return exc

    def _explain(self, request: AppendRequest, exc: apsw.ConstraintError) -> Result:
        """The version matched but an insert failed: a reused event id, most likely."""
        found = self._repeat_or_conflict(request, -1)
        return exc if isinstance(found, ConcurrencyError) else found

    def _transaction(
        self, batch: list[AppendRequest], *, begun: bool = False, guess: bool = True
    ) -> list[Result]:
        sql = self._sql
        if not begun:
            sql.execute("BEGIN IMMEDIATE")
        try:
            self._check_others()
            results, rows, versions, position = self._plan(batch, guess=guess)
            _insert(sql, rows)
            sql.execute("COMMIT")
        except BaseException:
            self._forget()
            sql.execute("ROLLBACK")
            raise
        self._data_version = self._conn.data_version()
        self._remember(versions, position)
        return results

    def _check_others(self) -> None:
        """Drop the remembered versions if another connection has added events since.

        `Connection.data_version` (the pager's counter, a C call: 0.06 µs against 3 µs for
        `PRAGMA data_version`) moves on every commit, this connection's included, so it
        is read again after each of our commits."""
        data_version = self._conn.data_version()
        if data_version == self._data_version and self._position is not None:
            return
        position = self._last_position()
        if position != self._position:
            self._versions.clear()
            self._position = position

    def _forget(self) -> None:
        self._versions.clear()
        self._position = self._data_version = None

    def _remember(self, versions: dict[Key, int], position: int) -> None:
        known = self._versions
        if len(known) + len(versions) > _REMEMBERED:
            known.clear()
        known.update(versions)
        self._position = position

    def _plan(
        self, batch: list[AppendRequest], *, guess: bool
    ) -> tuple[list[Result], list[list[Row]], dict[Key, int], int]:
        """Check every request against the stream versions, stamp the accepted ones.

        With `guess`, a stream this writer does not know is taken to be new when the
        request expects it to be (version 0): no `SELECT`, the `UNIQUE` constraint on
        its first sequence checks the guess (requests retried alone never guess).

        Returns the results, the rows to insert (one list per accepted request), the new
        stream versions and the new last position.
        """
        position = self._position or 0
        known = self._versions
        staged: dict[Key, int] = {}
        results: list[Result] = []
        rows: list[list[Row]] = []
        now = utc_now_iso()
        for req in batch:
            key = (req.aggregate_type, req.aggregate_id)
            current = staged.get(key)
            if current is None:
                current = known.get(key)
                if current is None and guess and req.expected_version == 0:
                    current = 0
                elif current is None or current != req.expected_version:
                    current = self._version(key)  # unknown, or a conflict to re-check
            if current != req.expected_version:
                results.append(self._repeat_or_conflict(req, current))
                continue
            stored, req_rows = _stamp(req, position, now)
            results.append(stored)
            rows.append(req_rows)
            position += len(stored)
            staged[key] = current + len(stored)
        return results, rows, staged, position

    def _last_position(self) -> int:
        return scalar(self._sql, "SELECT seq FROM sqlite_sequence WHERE name = 'events'")

    def _version(self, key: Key) -> int:
        sql = "SELECT MAX(sequence) FROM events WHERE aggregate_type = ? AND aggregate_id = ?"
        return scalar(self._sql, sql, key)

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


def _stamp(req: AppendRequest, position: int, now: str) -> tuple[list[StoredEvent], list[Row]]:
    """The stored envelopes of `req` and their rows, built straight from the new events."""
    aggregate_type, aggregate_id = req.aggregate_type, req.aggregate_id
    sequence = req.expected_version
    stored: list[StoredEvent] = []
    rows: list[Row] = []
    for e in req.events:
        position += 1
        sequence += 1
        event_id, event_type, event_version, payload, metadata = (
            e.event_id,
            e.event_type,
            e.event_version,
            e.payload,
            e.metadata,
        )
        stored.append(
            StoredEvent(
                position,
                event_id,
                aggregate_type,
                aggregate_id,
                sequence,
                event_type,
                event_version,
                payload,
                metadata,
                now,
            )
        )
        rows.append((
            position,
            event_id,
            aggregate_type,
            aggregate_id,
            sequence,
            event_type,
            event_version,
            payload.decode(),
            _encode(metadata).decode() if metadata else None,
            now,
        ))  # fmt: skip
    return stored, rows


def _insert(conn: apsw.Cursor, rows: list[list[Row]]) -> None:
    """Short appends (single events from many commands) go through one `executemany`;
    a long append through multi-row INSERTs of up to `_CHUNK` rows, a fifth cheaper per
    row for a run of one stream, but dearer than `executemany` for rows spread over many
    streams (measured)."""
    short = [row for req_rows in rows if len(req_rows) < _LONG for row in req_rows]
    if len(short) == 1:
        conn.execute(INSERT, short[0])  # a lone command: no executemany set-up
    elif short:
        conn.executemany(INSERT, short)
    for req_rows in rows:
        start, left = 0, len(req_rows)
        while left >= _LONG:
            n = 1 << (min(left, _CHUNK).bit_length() - 1)  # a power of two: few statements
            chunk = req_rows[start : start + n]
            conn.execute(_insert_sql(n), list(chain.from_iterable(chunk)))
            start, left = start + n, left - n
        if left and start:
            conn.executemany(INSERT, req_rows[start:])


@cache
def _insert_sql(rows: int) -> str:
    return INSERT_HEAD + ",".join([ROW_MARKS] * rows)


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
        _resolve_one(req, result)


def _resolve_one(req: AppendRequest, result: Result) -> None:
    future = req.future
    if future.done():
        return  # cancelled by its caller; the append may still have committed
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
