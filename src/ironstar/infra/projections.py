"""ProjectionRunner: feeds read models in global order, exactly once per event.

In-memory projections start at 0 and catch up at start-up. Checkpointed projections
(see `SqliteProjection`) keep their position in the same transaction as their data,
so a crash replays nothing twice and skips nothing. The runner is woken by the bus
but reads from the store, so a missed wake-up only delays, never loses, an update.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast, runtime_checkable

import apsw
import structlog

from ironstar.infra.bus import EventBus
from ironstar.infra.event_store.connection import open_connection, pragma, scalar
from ironstar.kernel import EventRow, EventStore, StoredEvent

log = structlog.get_logger(__name__)

type Progress = Callable[[int, int], None]  # (events done, events in total)


class _ReadModel(Protocol):
    """`aggregate_types=None` means every event; `position` is the last position it has
    seen (the runner advances it past events it filtered out)."""

    position: int

    @property
    def name(self) -> str: ...
    @property
    def aggregate_types(self) -> frozenset[str] | None: ...
    def reset(self) -> None: ...


class EventProjection(_ReadModel, Protocol):
    """A read model fed one envelope at a time."""

    def apply(self, event: StoredEvent) -> None: ...


@runtime_checkable
class RowProjection(_ReadModel, Protocol):
    """A read model fed whole batches of bare rows (`EventRow`s, already filtered by
    position and aggregate type): no envelope per event. Decode them with
    `EventCodec.decode_event_rows`. If every projection of a runner takes rows, the
    runner reads rows (`read_all_rows`), the fastest catch-up."""

    def apply_rows(self, rows: Sequence[EventRow]) -> None: ...


type Projection = EventProjection | RowProjection


@runtime_checkable
class Checkpointed(Protocol):
    """A projection that persists `position` atomically with its data."""

    def commit(self, position: int) -> None: ...
    def rollback(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RebuildStats:
    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else float("inf")


class ProjectionRunner:
    def __init__(
        self,
        store: EventStore,
        bus: EventBus,
        projections: Iterable[Projection] = (),
        *,
        batch_size: int = 1000,
    ) -> None:
        self.store = store
        self.bus = bus
        self.batch_size = batch_size
        self.projections: dict[str, Projection] = {}
        self.failed: dict[str, BaseException] = {}
        self._row_fed: set[str] = set()  # projections that take `apply_rows` batches
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        for projection in projections:
            self.add(projection)

    def add(self, projection: Projection) -> None:
        if projection.name in self.projections:
            raise ValueError(f"two projections named {projection.name!r}")
        self.projections[projection.name] = projection
        if isinstance(projection, RowProjection):  # checked once: a protocol check is slow
            self._row_fed.add(projection.name)

    @property
    def position(self) -> int:
        """Every healthy projection has seen at least this position."""
        active = [p.position for p in self._active()]
        return min(active) if active else self.bus.position

    async def start(self) -> None:
        """Catch up (the start-up rebuild of in-memory projections), then follow the bus."""
        await self.catch_up()
        self._task = asyncio.create_task(self._follow(), name="projection-runner")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def wait_for(self, position: int) -> None:
        """Return once read models have seen `position` (e.g. before answering a command).

        Failed projections are not waited for; bound the wait with `asyncio.timeout`.
        """
        async with self._changed:
            await self._changed.wait_for(lambda: self.position >= position)

    async def catch_up(self, progress: Progress | None = None) -> int:
        """Feed every event after the slowest projection; return how many were read."""
        total = max(0, await self.store.last_position() - self.position)
        done = 0
        while active := self._active():
            batch: Sequence[StoredEvent] | Sequence[EventRow]
            if all(p.name in self._row_fed for p in active):
                batch = await self.store.read_all_rows(self.position, self.batch_size)
            else:
                batch = await self.store.read_all(self.position, self.batch_size)
            if not batch:
                break
            self._feed(active, batch)
            done += len(batch)
            if progress is not None:
                progress(done, max(total, done))
            await self._notify()
        return done

    async def rebuild(
        self, name: str | None = None, progress: Progress | None = None
    ) -> RebuildStats:
        """Reset one projection (or all) and replay the whole log into it."""
        chosen = [self.projections[name]] if name else list(self.projections.values())
        for projection in chosen:
            projection.reset()
            self.failed.pop(projection.name, None)
        started = time.perf_counter()
        done = await self.catch_up(progress)
        return RebuildStats(done, time.perf_counter() - started)

    async def _follow(self) -> None:
        async with self.bus.subscribe() as subscription:
            while True:
                await subscription.wait(self.position)
                await self.catch_up()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _active(self) -> list[Projection]:
        return [p for p in self.projections.values() if p.name not in self.failed]

    def _feed(
        self, active: list[Projection], batch: Sequence[StoredEvent] | Sequence[EventRow]
    ) -> None:
        events: Sequence[StoredEvent] | None = None
        rows: Sequence[EventRow] | None = None
        if isinstance(batch[0], StoredEvent):
            events = cast(Sequence[StoredEvent], batch)
            last = events[-1].position
        else:
            rows = cast(Sequence[EventRow], batch)
            last = rows[-1][0]
        for projection in active:
            try:
                if projection.name in self._row_fed:
                    rows = rows if rows is not None else _rows(events or ())
                    _apply_rows(cast(RowProjection, projection), rows)
                else:  # only when the runner read envelopes
                    _apply(cast(EventProjection, projection), events or ())
            except Exception as exc:
                self._fail(projection, exc)
                continue
            if isinstance(projection, Checkpointed):
                projection.commit(last)
            projection.position = last

    def _fail(self, projection: Projection, exc: Exception) -> None:
        if isinstance(projection, Checkpointed):
            projection.rollback()
        self.failed[projection.name] = exc
        log.error("projection.failed", projection=projection.name, exc_info=exc)


def _apply(projection: EventProjection, batch: Sequence[StoredEvent]) -> None:
    after, types, apply = projection.position, projection.aggregate_types, projection.apply
    for event in batch:
        if event.position > after and (types is None or event.aggregate_type in types):
            apply(event)


def _apply_rows(projection: RowProjection, rows: Sequence[EventRow]) -> None:
    after, types = projection.position, projection.aggregate_types
    if types is not None or rows[0][0] <= after:
        rows = [r for r in rows if r[0] > after and (types is None or r[1] in types)]
    if rows:
        projection.apply_rows(rows)


def _rows(events: Sequence[StoredEvent]) -> list[EventRow]:
    return [
        (e.position, e.aggregate_type, e.aggregate_id, e.sequence, e.event_type,
         e.event_version, e.payload)
        for e in events
    ]  # fmt: skip


CHECKPOINTS = """
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name     TEXT PRIMARY KEY,
  position INTEGER NOT NULL
);
"""


class SqliteProjection:
    """Base for a persistent read model: its rows and its position commit together.

    Subclasses set `name` (and `aggregate_types`) and override `setup` (create tables),
    `handle` (write one event) and `clear` (drop data for a rebuild). Commits use
    `synchronous=NORMAL`: a power loss may roll a projection back, but data and
    checkpoint roll back together, and the runner replays from there.
    """

    name: str = ""
    aggregate_types: frozenset[str] | None = None

    def __init__(self, path: Path) -> None:
        self.conn = open_connection(path)  # apsw, like every connection to the store file
        pragma(self.conn, "journal_mode = WAL")
        pragma(self.conn, "synchronous = NORMAL")
        self.conn.execute(CHECKPOINTS)
        self.setup(self.conn)
        self.position: int = scalar(
            self.conn, "SELECT position FROM projection_checkpoints WHERE name = ?", (self.name,)
        )

    def setup(self, conn: apsw.Connection) -> None:
        """Create this projection's tables (IF NOT EXISTS)."""

    def handle(self, conn: apsw.Connection, event: StoredEvent) -> None:
        raise NotImplementedError

    def clear(self, conn: apsw.Connection) -> None:
        raise NotImplementedError

    def apply(self, event: StoredEvent) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
        self.handle(self.conn, event)

    def commit(self, position: int) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT INTO projection_checkpoints (name, position) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            (self.name, position),
        )
        self.conn.execute("COMMIT")
        self.position = position

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def reset(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.clear(self.conn)
        self.conn.execute("DELETE FROM projection_checkpoints WHERE name = ?", (self.name,))
        self.conn.execute("COMMIT")
        self.position = 0

    def close(self) -> None:
        self.rollback()
        self.conn.close()
