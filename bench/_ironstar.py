"""Ironstar workloads: the kernel's CommandHandler and SqliteEventStore."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import msgspec

from bench._timing import Timer
from ironstar.infra import EventBus, SqliteEventStore
from ironstar.infra.projections import Projection, ProjectionRunner
from ironstar.kernel import (
    CommandHandler,
    EventCodec,
    EventRow,
    FunctionDecider,
    NewEvent,
    StoredEvent,
    Upcaster,
    Upcasters,
    uuid7,
)


class Add(msgspec.Struct, frozen=True, tag=True):
    amount: int


class Added(msgspec.Struct, frozen=True, tag=True):
    amount: int


class Total(msgspec.Struct, frozen=True):
    total: int = 0


def _decide(state: Total, command: Add) -> Sequence[Added]:
    return [Added(command.amount)]


def _evolve(state: Total, event: Added) -> Total:
    return Total(state.total + event.amount)


counter = FunctionDecider(
    aggregate_type="counter", event_types=Added, initial=Total, decide_fn=_decide, evolve_fn=_evolve
)
PAYLOAD = b'{"type":"Added","amount":1}'


def new_events(n: int) -> list[NewEvent]:
    return [
        NewEvent(event_id=uuid7(), event_type="Added", event_version=1, payload=PAYLOAD)
        for _ in range(n)
    ]


async def _precreate(handler: CommandHandler, ids: list[str]) -> None:
    await asyncio.gather(*(handler.handle(counter, i, Add(1)) for i in ids))


def commands(tmp: Path, n: int, writers: int) -> tuple[int, float]:
    """`n` durable single-event commands, 5 per aggregate, from `writers` tasks."""

    async def main() -> float:
        store = await SqliteEventStore.open(tmp / "e.db", durable=True)
        handler = CommandHandler(store, on_committed=EventBus().publish)
        per_writer = n // writers
        ids = [[f"w{w}-{i // 5}" for i in range(per_writer)] for w in range(writers)]
        await _precreate(handler, sorted({i for w in ids for i in w}))

        async def writer(mine: list[str]) -> None:
            for aggregate_id in mine:
                await handler.handle(counter, aggregate_id, Add(1))

        with Timer() as t:
            await asyncio.gather(*(writer(mine) for mine in ids))
        await store.close()
        return t.seconds

    return (n // writers) * writers, asyncio.run(main())


def batched(tmp: Path, total: int, per_txn: int) -> tuple[int, float]:
    async def main() -> float:
        store = await SqliteEventStore.open(tmp / "e.db", durable=True)
        batches = [new_events(per_txn) for _ in range(total // per_txn)]
        with Timer() as t:
            for i, batch in enumerate(batches):
                await store.append("counter", f"s{i}", 0, batch)
        await store.close()
        return t.seconds

    return total, asyncio.run(main())


def populate(path: Path, total: int, per_stream: int = 100, version: int = 1) -> None:
    async def main() -> None:
        store = await SqliteEventStore.open(path, durable=False)
        for i in range(total // per_stream):
            events = [
                NewEvent(
                    event_id=uuid7(), event_type="Added", event_version=version, payload=PAYLOAD
                )
                for _ in range(per_stream)
            ]
            await store.append("counter", f"s{i}", 0, events)
        await store.close()

    asyncio.run(main())


def read_all(path: Path, decode: bool, upcasters: Upcasters | None = None) -> tuple[int, float]:
    """Catch-up through envelopes (`read_all`: ten columns, a StoredEvent each)."""
    store = SqliteEventStore(path, durable=False)
    codec: EventCodec[Added] = EventCodec(Added, upcasters)
    count, after = 0, 0
    with Timer() as t:
        while batch := store.read_all_sync(after, 1000):
            if decode:
                codec.decode_all(batch)
            count += len(batch)
            after = batch[-1].position
    asyncio.run(store.close())
    return count, t.seconds


def read_rows(
    path: Path, decode: bool, codec: EventCodec[Any] | None = None, cpu: bool = False
) -> tuple[int, float]:
    """Catch-up through bare rows (`read_all_rows`), decoded with `decode_event_rows`.

    `cpu`: seconds of this process's CPU time instead of wall clock (steadier on a shared
    box for single-threaded work with no waits: reads come from the page cache)."""
    store = SqliteEventStore(path, durable=False)
    codec = codec or EventCodec(Added)
    count, after = 0, 0
    started = time.process_time()
    with Timer() as t:
        while rows := store.read_all_rows_sync(after, 1000):
            if decode:
                codec.decode_event_rows(rows)
            count += len(rows)
            after = rows[-1][0]
    seconds = time.process_time() - started if cpu else t.seconds
    asyncio.run(store.close())
    return count, seconds


class EnvelopeTotals:
    """In-memory projection: a total per aggregate, fed one envelope at a time (`apply`)."""

    name = "totals"
    aggregate_types = frozenset({"counter"})

    def __init__(self) -> None:
        self.position = 0
        self.totals: dict[str, int] = {}
        self._codec = EventCodec[Added](Added)

    def apply(self, event: StoredEvent) -> None:
        added = self._codec.decode(event)
        if added is not None:
            self.totals[event.aggregate_id] = self.totals.get(event.aggregate_id, 0) + added.amount

    def reset(self) -> None:
        self.totals.clear()
        self.position = 0


class Totals(EnvelopeTotals):
    """The same projection fed batches of rows (`apply_rows`, which the runner prefers)."""

    def apply_rows(self, rows: Sequence[EventRow]) -> None:
        totals = self.totals
        for _, _, aggregate_id, _, added in self._codec.decode_event_rows(rows):
            totals[aggregate_id] = totals.get(aggregate_id, 0) + added.amount


def rebuild(path: Path, envelopes: bool = False) -> tuple[int, float]:
    async def main() -> tuple[int, float]:
        store = await SqliteEventStore.open(path, durable=False)
        projection: Projection = EnvelopeTotals() if envelopes else Totals()
        stats = await ProjectionRunner(store, EventBus(), [projection]).rebuild()
        await store.close()
        return stats.events, stats.seconds

    return asyncio.run(main())


def loads(path: Path, n: int) -> tuple[int, float]:
    async def main() -> float:
        store = await SqliteEventStore.open(path, durable=False)
        handler = CommandHandler(store)
        with Timer() as t:
            for i in range(n):
                await handler.load(counter, f"s{i % 50}")
        await store.close()
        return t.seconds

    return n, asyncio.run(main())


class AddedV2(msgspec.Struct, frozen=True, tag="Added"):
    event_version: ClassVar[int] = 2
    amount: int
    note: str = ""


class AddedV1(msgspec.Struct, frozen=True, tag="Added"):
    amount: int


def upcasters(kind: str = "fields") -> Upcasters:
    """v1 -> v2 adds `note`, written three ways: declared (`Upcaster.fields`), on Structs
    (`Upcaster.typed_step`) or as a function on JSON objects."""
    if kind == "fields":
        return Upcasters([AddedV2], [Upcaster.fields("Added", 1, defaults={"note": ""})])
    if kind == "typed":
        step = Upcaster.typed_step("Added", 1, AddedV1, lambda old: AddedV2(old.amount, ""))
        return Upcasters([AddedV2], [step])

    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        data["note"] = ""
        return data

    return Upcasters([AddedV2], [Upcaster("Added", 1, v1_to_v2)])


def read_upcast(path: Path, kind: str = "fields", cpu: bool = False) -> tuple[int, float]:
    """The decoded row catch-up of version-1 events into `AddedV2`."""
    return read_rows(path, True, EventCodec(AddedV2, upcasters(kind)), cpu)
