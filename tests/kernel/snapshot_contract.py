"""The SnapshotStore contract: every adapter subclasses `SnapshotContract` and passes it whole."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from ironstar.infra import MemoryEventStore
from ironstar.kernel import CommandHandler, Snapshot, SnapshotStore
from tests.kernel.counter import Add, Added, Closed, CounterState, counter


def snap(
    sequence: int,
    state: bytes = b'{"total":1,"closed":false}',
    *,
    aggregate_type: str = "counter",
    aggregate_id: str = "c",
    decider_version: int = 1,
) -> Snapshot:
    return Snapshot(
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        decider_version=decider_version,
        sequence=sequence,
        state=state,
    )


def _evolve_doubled(state: CounterState, event: Added | Closed) -> CounterState:
    match event:
        case Added(amount=amount):
            return CounterState(state.total + 2 * amount, state.closed)
        case Closed():
            return CounterState(state.total, closed=True)


# The same events meaning something else: a snapshot of version 1 is wrong for it.
counter_v2 = dataclasses.replace(counter, version=2, evolve_fn=_evolve_doubled)


class SnapshotContract:
    async def make_store(self) -> SnapshotStore:
        raise NotImplementedError

    @pytest.fixture
    async def store(self) -> AsyncIterator[SnapshotStore]:
        store = await self.make_store()
        yield store
        await store.close()

    async def test_a_snapshot_is_read_back_as_it_was_put(self, store: SnapshotStore) -> None:
        put = snap(7, b'{"total":7,"closed":true}', decider_version=3)
        await store.put(put)
        assert await store.get("counter", "c") == put

    async def test_a_missing_snapshot_is_none(self, store: SnapshotStore) -> None:
        await store.put(snap(1))
        assert await store.get("counter", "other") is None
        assert await store.get("other_type", "c") is None

    async def test_a_newer_snapshot_replaces_the_stored_one(self, store: SnapshotStore) -> None:
        await store.put(snap(3))
        newer = snap(6, b'{"total":6,"closed":false}', decider_version=2)
        await store.put(newer)
        assert await store.get("counter", "c") == newer

    async def test_an_older_snapshot_never_replaces_a_newer_one(self, store: SnapshotStore) -> None:
        newer = snap(6, b'{"total":6,"closed":false}')
        await store.put(newer)
        await store.put(snap(3, b'{"total":3,"closed":false}'))
        await store.put(snap(5, b'{"total":5,"closed":false}', decider_version=2))
        assert await store.get("counter", "c") == newer

    async def test_snapshots_of_different_streams_are_independent(
        self, store: SnapshotStore
    ) -> None:
        a = snap(9, b'{"total":9,"closed":false}', aggregate_id="a")
        b = snap(2, b'{"total":2,"closed":false}', aggregate_id="b")
        other_type = snap(1, b"{}", aggregate_type="tally", aggregate_id="a")
        for one in (a, b, other_type):
            await store.put(one)
        assert await store.get("counter", "a") == a
        assert await store.get("counter", "b") == b
        assert await store.get("tally", "a") == other_type

    async def test_the_command_handler_snapshots_and_loads_from_the_store(
        self, store: SnapshotStore
    ) -> None:
        events = MemoryEventStore()
        handler = CommandHandler(events, snapshots=store, snapshot_every=3)
        for amount in (1, 2, 3, 4):
            await handler.handle(counter, "c", Add(amount))
        assert await store.get("counter", "c") == snap(3, b'{"total":6,"closed":false}')
        # A fresh handler (no cached state) starts from the snapshot, then replays event 4.
        fresh = CommandHandler(events, snapshots=store, snapshot_every=3)
        assert await fresh.load(counter, "c") == (CounterState(total=10), 4)

    async def test_a_snapshot_from_another_decider_version_is_ignored_by_the_command_handler(
        self, store: SnapshotStore
    ) -> None:
        events = MemoryEventStore()
        before = CommandHandler(events, snapshots=store, snapshot_every=3)
        for _ in range(4):
            await before.handle(counter, "c", Add(1))
        stale = await store.get("counter", "c")
        assert stale is not None
        assert stale.decider_version == 1

        after = CommandHandler(events, snapshots=store, snapshot_every=3)
        # Rebuilt from all four events by the new fold (the stale snapshot would give 3 + 2).
        assert await after.load(counter_v2, "c") == (CounterState(total=8), 4)
        await after.handle(counter_v2, "c", Add(1))
        await after.handle(counter_v2, "c", Add(1))
        # The next snapshot is the new version's and replaces the stale one.
        assert await store.get("counter", "c") == snap(
            6, b'{"total":12,"closed":false}', decider_version=2
        )
