"""AnalyticsService + AnalyticsFollower over a real (memory) event store and bus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ironstar.features.todo.domain import AddTodo, CompleteTodo, todo_list
from ironstar.infra.analytics import (
    AnalyticsFollower,
    AnalyticsProjection,
    AnalyticsService,
    Filters,
    QueryCache,
)
from ironstar.infra.bus import EventBus
from ironstar.infra.event_store import MemoryEventStore
from ironstar.kernel import CommandHandler, StoredEvent

ALL = Filters()


class Rig:
    def __init__(self, tmp_path: Path) -> None:
        self.store = MemoryEventStore()
        self.bus = EventBus()
        self.commands = CommandHandler(self.store, on_committed=self.bus.publish)
        projection = AnalyticsProjection(tmp_path / "analytics.duckdb")
        self.cache = QueryCache()
        self.service = AnalyticsService([projection.cursor() for _ in range(2)], self.cache)
        self.follower = AnalyticsFollower(projection, self.store, debounce_seconds=0.01)
        self.follower.listeners.append(self.cache.invalidate)

    async def add(self, owner: str, todo_id: str) -> None:
        await self.commands.handle(todo_list, owner, AddTodo(todo_id, f"todo {todo_id}"))

    async def close(self) -> None:
        self.service.close()
        await self.follower.close()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(tmp_path)
    yield rig
    await rig.close()


async def test_a_new_event_changes_the_next_answer(rig: Rig) -> None:
    await rig.add("alice", "a1")
    await rig.follower.catch_up()
    assert (await rig.service.summary(ALL)).added == 1
    assert (await rig.service.summary(ALL)).added == 1  # cached
    await rig.add("alice", "a2")
    await rig.follower.catch_up()  # commits, then invalidates the cache
    assert (await rig.service.summary(ALL)).added == 2
    assert rig.cache.hits == 1


async def test_a_hundred_identical_requests_run_one_query(rig: Rig) -> None:
    await rig.add("alice", "a1")
    await rig.follower.catch_up()
    before = rig.service.queries_run
    answers = await asyncio.gather(*(rig.service.event_mix(ALL) for _ in range(100)))
    assert rig.service.queries_run - before == 1
    assert all(a == answers[0] for a in answers)


async def test_the_follower_wakes_on_the_bus_and_announces_its_position(rig: Rig) -> None:
    following = asyncio.create_task(rig.follower.follow(rig.bus))
    try:
        async with rig.follower.applied.subscribe() as applied:
            await rig.add("bob", "b1")
            await rig.commands.handle(todo_list, "bob", CompleteTodo("b1"))
            async with asyncio.timeout(5):
                while await applied.wait(0) < 2:
                    pass
        summary = await rig.service.summary(ALL)
        assert (summary.added, summary.completed, summary.owners) == (1, 1, 1)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)


async def test_rebuild_replays_the_whole_log(rig: Rig) -> None:
    for i in range(5):
        await rig.add(f"o{i}", f"t{i}")
    await rig.follower.catch_up()
    events, seconds = await rig.follower.rebuild()
    assert events == 5
    assert seconds >= 0
    assert (await rig.service.summary(ALL)).events == 5


async def test_catch_up_reports_progress_in_batches(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.follower.batch_size = 3
    try:
        for i in range(10):
            await rig.add("carol", f"c{i}")
        seen: list[tuple[int, int]] = []
        assert await rig.follower.catch_up(lambda done, total: seen.append((done, total))) == 10
        assert seen == [(3, 10), (6, 10), (9, 10), (10, 10)]
    finally:
        await rig.close()


class TrafficStore(MemoryEventStore):
    """Events keep arriving: every read through the port is followed by one more add."""

    commands: CommandHandler

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, aggregate_type: str | None = None
    ) -> list[StoredEvent]:
        events = await super().read_all(after_position, limit, aggregate_type)
        n = await self.last_position()
        await self.commands.handle(todo_list, "gil", AddTodo(f"g{n}", "more"))
        return events


async def test_a_catch_up_loads_what_was_stored_when_it_started(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    store = rig.follower.store = rig.store = TrafficStore()
    store.commands = rig.commands = CommandHandler(store)
    rig.follower.chunk_size, rig.follower.batch_size = 2, 100
    try:
        for i in range(5):
            await rig.add("gil", f"a{i}")
        # Chasing the adds that land during the batch would not end before `batch_size`.
        assert await rig.follower.catch_up() == 5
        assert rig.follower.position == 5
        stored = await store.last_position()
        assert stored == 8  # one add per chunk read: 2 + 2 + 1
        assert await rig.follower.catch_up() == stored - 5
        assert (await rig.service.summary(ALL)).added == stored
    finally:
        await rig.close()


async def test_steady_traffic_is_loaded_at_most_once_per_interval(rig: Rig) -> None:
    rig.follower.min_interval_seconds = 1.5
    batches: list[int] = []
    rig.follower.listeners.append(batches.append)
    following = asyncio.create_task(rig.follower.follow(rig.bus))
    try:
        await rig.add("hal", "h0")
        await _follow_until(rig, 1)  # the first wake-up after a quiet spell: the debounce
        for i in range(1, 6):  # each add 5 debounces after the last, all within the interval
            await asyncio.sleep(0.05)
            await rig.add("hal", f"h{i}")
        await _follow_until(rig, 6)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    assert batches == [1, 6]


async def _follow_until(rig: Rig, position: int) -> None:
    seen = rig.follower.position
    async with rig.follower.applied.subscribe() as applied, asyncio.timeout(5):
        while seen < position:
            seen = await applied.wait(seen)


async def test_an_idle_follower_moves_duckdbs_wal_into_the_file(rig: Rig) -> None:
    rig.follower.idle_seconds = 0.05
    projection = rig.follower.projection
    following = asyncio.create_task(rig.follower.follow(rig.bus))
    try:
        await rig.add("dan", "d1")
        await _follow_until(rig, 1)
        for _ in range(500):  # the batch's commit wrote a WAL; once idle, it is flushed
            if not projection.wal_bytes():
                break
            await asyncio.sleep(0.01)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    assert projection.wal_bytes() == 0
    assert not projection.flush()  # nothing left to move
    assert (await rig.service.summary(ALL)).added == 1


async def test_a_busy_follower_flushes_the_wal_between_batches(rig: Rig, tmp_path: Path) -> None:
    rig.follower.idle_seconds = 60  # never idle here
    rig.follower.flush_bytes = 1  # any WAL: flush during the next debounce
    following = asyncio.create_task(rig.follower.follow(rig.bus))
    try:
        await rig.add("erin", "e1")
        await _follow_until(rig, 1)
        assert rig.follower.projection.wal_bytes() > 0
        await rig.add("erin", "e2")
        await _follow_until(rig, 2)
        # The database file alone (without the WAL) already holds the first batch.
        copy = tmp_path / "copy.duckdb"
        copy.write_bytes((tmp_path / "analytics.duckdb").read_bytes())
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    alone = AnalyticsProjection(copy)
    try:
        assert (alone.position, alone.count()) == (1, 1)
    finally:
        alone.close()


async def test_a_failing_flush_does_not_stop_the_follower(rig: Rig) -> None:
    rig.follower.idle_seconds = 0.01
    flushes: list[int] = []

    def failing_flush() -> bool:
        flushes.append(rig.follower.position)
        raise RuntimeError("checkpoint failed")

    rig.follower.projection.flush = failing_flush  # type: ignore[method-assign]
    following = asyncio.create_task(rig.follower.follow(rig.bus))
    try:
        await rig.add("fay", "f1")
        await _follow_until(rig, 1)
        for _ in range(500):
            if flushes:
                break
            await asyncio.sleep(0.01)
        await rig.add("fay", "f2")
        await _follow_until(rig, 2)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    assert flushes[0] == 1
    assert (await rig.service.summary(ALL)).added == 2
