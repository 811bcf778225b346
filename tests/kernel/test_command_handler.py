from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ironstar.infra import MemoryEventStore, SqliteEventStore
from ironstar.kernel import (
    CommandHandler,
    ConcurrencyError,
    FunctionDecider,
    MemorySnapshotStore,
    NewEvent,
    Snapshot,
    StoredEvent,
)
from tests.kernel.counter import (
    Add,
    Added,
    Close,
    CounterClosedError,
    CounterEvent,
    CounterState,
    counter,
    evolve,
)


async def test_handling_a_command_appends_its_events_and_wakes_the_bus() -> None:
    woken: list[int] = []
    handler = CommandHandler(MemoryEventStore(), on_committed=woken.append)
    stored = await handler.handle(counter, "c1", Add(5), metadata={"session": "s"})
    assert [(e.event_type, e.sequence, e.metadata) for e in stored] == [
        ("Added", 1, {"session": "s"})
    ]
    assert woken == [1]
    assert await handler.load(counter, "c1") == (CounterState(total=5), 1)


async def test_a_refused_command_appends_nothing() -> None:
    store = MemoryEventStore()
    handler = CommandHandler(store)
    await handler.handle(counter, "c1", Close())
    with pytest.raises(CounterClosedError):
        await handler.handle(counter, "c1", Add(1))
    assert await store.last_position() == 1


async def test_concurrent_commands_on_one_aggregate_are_retried_until_all_commit() -> None:
    handler = CommandHandler(MemoryEventStore(), max_attempts=100)
    await asyncio.gather(*(handler.handle(counter, "hot", Add(1)) for _ in range(64)))
    assert await handler.load(counter, "hot") == (CounterState(total=64), 64)


class _SlowAppends(MemoryEventStore):
    """Yields to the loop before appending, as a real store's I/O does."""

    async def append(
        self, aggregate_type: str, aggregate_id: str, expected_version: int, events: Any
    ) -> list[StoredEvent]:
        await asyncio.sleep(0)
        return await super().append(aggregate_type, aggregate_id, expected_version, events)


async def test_commands_on_one_stream_take_turns_in_process_so_none_needs_a_retry() -> None:
    handler = CommandHandler(_SlowAppends(), max_attempts=1)  # a retry would raise
    await asyncio.gather(*(handler.handle(counter, "hot", Add(1)) for _ in range(64)))
    assert await handler.load(counter, "hot") == (CounterState(total=64), 64)


async def test_a_command_cancelled_while_waiting_its_turn_leaves_the_stream_to_the_others() -> None:
    handler = CommandHandler(_SlowAppends(), max_attempts=1)
    first, cancelled, last = (
        asyncio.ensure_future(handler.handle(counter, "hot", Add(n))) for n in (1, 10, 100)
    )
    await asyncio.sleep(0)  # all three started; two wait their turn
    cancelled.cancel()
    await asyncio.wait_for(asyncio.gather(first, last), 5)  # a hang guard, not a timing
    assert cancelled.cancelled()
    assert await handler.load(counter, "hot") == (CounterState(total=101), 2)


async def test_a_command_cancelled_just_as_its_turn_comes_passes_the_turn_on() -> None:
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Future[list[StoredEvent]]] = []

    def committed(position: int) -> None:
        if position == 1:  # runs before the first command hands its turn to the second
            loop.call_soon(tasks[1].cancel)

    handler = CommandHandler(_SlowAppends(), max_attempts=1, on_committed=committed)
    tasks.extend(
        asyncio.ensure_future(handler.handle(counter, "hot", Add(n))) for n in (1, 10, 100)
    )
    await asyncio.wait_for(asyncio.gather(tasks[0], tasks[2]), 5)  # a hang guard
    assert tasks[1].cancelled()
    assert await handler.load(counter, "hot") == (CounterState(total=101), 2)


class _AlwaysConflicting(MemoryEventStore):
    async def append(
        self, aggregate_type: str, aggregate_id: str, expected_version: int, events: object
    ) -> list[StoredEvent]:
        raise ConcurrencyError(aggregate_type, aggregate_id, expected_version, 99)


async def test_retries_on_conflict_are_bounded() -> None:
    handler = CommandHandler(_AlwaysConflicting(), max_attempts=3)
    with pytest.raises(ConcurrencyError):
        await handler.handle(counter, "c", Add(1))


async def test_a_snapshot_replaces_the_replay_of_the_events_it_covers() -> None:
    snapshots = MemorySnapshotStore()
    handler = CommandHandler(MemoryEventStore(), snapshots=snapshots, snapshot_every=3)
    for _ in range(4):
        await handler.handle(counter, "c", Add(1))
    snap = await snapshots.get("counter", "c")
    assert snap is not None
    assert snap.sequence == 3
    assert await handler.load(counter, "c") == (CounterState(total=4), 4)


async def test_a_snapshot_from_another_decider_version_is_ignored() -> None:
    snapshots = MemorySnapshotStore()
    store = MemoryEventStore()
    stale = Snapshot(
        aggregate_type="counter", aggregate_id="c", decider_version=0, sequence=0,
        state=b'{"total":1000,"closed":false}',
    )  # fmt: skip
    await snapshots.put(stale)
    event = NewEvent(event_id="e1", event_type="Added", event_version=1, payload=b'{"amount":2}')
    await store.append("counter", "c", 0, [event])
    handler = CommandHandler(store, snapshots=snapshots)
    assert await handler.load(counter, "c") == (CounterState(total=2), 1)


async def test_an_unreadable_snapshot_is_ignored_and_the_events_replayed() -> None:
    snapshots = MemorySnapshotStore()
    store = MemoryEventStore()
    broken = Snapshot(
        aggregate_type="counter", aggregate_id="c", decider_version=counter.version,
        sequence=1, state=b'{"total":"not a number"',
    )  # fmt: skip
    await snapshots.put(broken)
    event = NewEvent(event_id="e1", event_type="Added", event_version=1, payload=b'{"amount":2}')
    await store.append("counter", "c", 0, [event])
    handler = CommandHandler(store, snapshots=snapshots)
    assert await handler.load(counter, "c") == (CounterState(total=2), 1)
    assert [e.sequence for e in await handler.handle(counter, "c", Add(1))] == [2]


class _FailingSnapshots(MemorySnapshotStore):
    async def put(self, snapshot: Snapshot) -> None:
        raise OSError("disk full")


async def test_a_failing_snapshot_write_does_not_fail_the_committed_command(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryEventStore()
    handler = CommandHandler(store, snapshots=_FailingSnapshots(), snapshot_every=2)
    for _ in range(3):
        await handler.handle(counter, "c", Add(1))
    assert [e.sequence for e in await store.read_stream("counter", "c")] == [1, 2, 3]
    assert "snapshot of counter/c not written" in caplog.text


async def test_a_stale_cached_state_is_detected_by_the_store_and_the_command_retried() -> None:
    store = MemoryEventStore()
    mine, other_process = CommandHandler(store), CommandHandler(store)
    await mine.handle(counter, "c", Add(1))
    await other_process.handle(counter, "c", Add(10))
    stored = await mine.handle(counter, "c", Add(100))
    assert stored[0].sequence == 3
    assert await mine.load(counter, "c") == (CounterState(total=111), 3)


class _CountingReads(MemoryEventStore):
    """Records the version each stream read starts after (0 = a whole replay)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads_after: list[int] = []

    async def read_stream_rows(
        self, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> Any:
        self.reads_after.append(after_sequence)
        return await super().read_stream_rows(aggregate_type, aggregate_id, after_sequence)


async def test_refused_commands_on_a_cached_state_never_replay_the_stream() -> None:
    store = _CountingReads()
    handler = CommandHandler(store)
    for _ in range(3):
        await handler.handle(counter, "c", Add(1))
    await handler.handle(counter, "c", Close())
    store.reads_after.clear()
    for _ in range(3):
        with pytest.raises(CounterClosedError):
            await handler.handle(counter, "c", Add(1))
    assert store.reads_after == [4, 4, 4]  # one check for missed events each, no replay


async def test_a_refusal_after_a_full_load_is_cached() -> None:
    store = _CountingReads()
    writer = CommandHandler(store)
    await writer.handle(counter, "c", Add(1))
    await writer.handle(counter, "c", Close())
    store.reads_after.clear()
    handler = CommandHandler(store)  # a cold cache: the first refusal replays, once
    for _ in range(3):
        with pytest.raises(CounterClosedError):
            await handler.handle(counter, "c", Add(1))
    assert store.reads_after == [0, 2, 2]


async def test_a_conflict_catches_up_from_the_cached_version_and_decides_again() -> None:
    store = _CountingReads()
    mine, other_process = CommandHandler(store), CommandHandler(store)
    await mine.handle(counter, "c", Add(1))
    await other_process.handle(counter, "c", Add(10))
    await other_process.handle(counter, "c", Close())
    store.reads_after.clear()
    with pytest.raises(CounterClosedError):  # decided on stale state, refused on fresh
        await mine.handle(counter, "c", Add(100))
    assert store.reads_after == [1]  # the two missed events, not a replay
    assert await store.last_position() == 3


async def test_the_state_cache_forgets_the_stream_least_recently_commanded() -> None:
    store = _CountingReads()
    handler = CommandHandler(store, cache_size=2)
    for aggregate_id in ("a", "b"):
        await handler.handle(counter, aggregate_id, Add(1))
    await handler.handle(counter, "a", Add(1))  # "b" is now the least recently used
    await handler.handle(counter, "c", Add(1))  # a third stream: "b" leaves the cache
    store.reads_after.clear()
    await handler.handle(counter, "a", Add(1))
    await handler.handle(counter, "b", Add(1))
    assert store.reads_after == [0]  # only "b" was replayed
    assert await handler.load(counter, "b") == (CounterState(total=2), 2)


async def test_a_refusal_on_cached_state_keeps_the_stream_in_the_cache() -> None:
    store = _CountingReads()
    handler = CommandHandler(store, cache_size=2)
    await handler.handle(counter, "a", Close())
    await handler.handle(counter, "b", Add(1))
    with pytest.raises(CounterClosedError):
        await handler.handle(counter, "a", Add(1))  # "a" used last: "b" goes next
    await handler.handle(counter, "c", Add(1))
    store.reads_after.clear()
    with pytest.raises(CounterClosedError):
        await handler.handle(counter, "a", Add(1))
    assert store.reads_after == [1]  # the check for missed events, not a replay (0)


def _add_twice(state: CounterState, command: Add) -> list[Added]:
    return [Added(command.amount), Added(command.amount)]


two_adds = FunctionDecider(
    aggregate_type="counter",
    event_types=CounterEvent,
    initial=CounterState,
    decide_fn=_add_twice,
    evolve_fn=evolve,
)


async def test_each_event_of_a_command_gets_its_own_id_from_new_id() -> None:
    ids = iter(["id-1", "id-2"])
    handler = CommandHandler(MemoryEventStore(), new_id=lambda: next(ids))
    stored = await handler.handle(two_adds, "c", Add(3))
    assert [(e.event_id, e.sequence, e.payload) for e in stored] == [
        ("id-1", 1, b'{"type":"Added","amount":3}'),
        ("id-2", 2, b'{"type":"Added","amount":3}'),
    ]


async def test_sixty_four_commands_on_one_aggregate_commit_once_each_in_a_durable_store(
    tmp_path: Path,
) -> None:
    store = await SqliteEventStore.open(tmp_path / "e.db", durable=True)
    try:
        # Two handlers on one store, as two processes: turns within each, conflicts between.
        mine, other = (CommandHandler(store, max_attempts=100) for _ in range(2))
        await asyncio.gather(
            *(handler.handle(counter, "hot", Add(1)) for handler in (mine, other) * 32)
        )
        stream = await store.read_stream("counter", "hot")
        assert [e.sequence for e in stream] == list(range(1, 65))
        assert [e.position for e in stream] == list(range(1, 65))
        assert len({e.event_id for e in stream}) == 64
        assert await mine.load(counter, "hot") == (CounterState(total=64), 64)
    finally:
        await store.close()


class _FirstAppendFails(_SlowAppends):
    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def append(
        self, aggregate_type: str, aggregate_id: str, expected_version: int, events: Any
    ) -> list[StoredEvent]:
        if not self.failed:
            self.failed = True
            await asyncio.sleep(0)
            raise OSError("disk full")
        return await super().append(aggregate_type, aggregate_id, expected_version, events)


async def test_a_command_that_fails_passes_its_turn_to_the_commands_waiting_for_it() -> None:
    handler = CommandHandler(_FirstAppendFails(), max_attempts=1)
    results = await asyncio.wait_for(  # a hang guard, not a timing
        asyncio.gather(
            *(handler.handle(counter, "hot", Add(n)) for n in (1, 10, 100)),
            return_exceptions=True,
        ),
        5,
    )
    assert isinstance(results[0], OSError)
    assert await handler.load(counter, "hot") == (CounterState(total=110), 2)
    assert await asyncio.wait_for(handler.handle(counter, "hot", Add(1000)), 5)  # free again
