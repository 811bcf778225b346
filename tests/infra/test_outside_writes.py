"""Events appended by another process (another connection here) wake this process's bus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
import pytest

from ironstar.app import create_app
from ironstar.infra import EventBus, MemoryEventStore, SqliteEventStore
from ironstar.infra.outside_writes import wake_on_outside_writes
from ironstar.kernel import EventStore
from ironstar.settings import Settings
from tests.infra.store_contract import new


@asynccontextmanager
async def watching(store: EventStore) -> AsyncIterator[EventBus]:
    """A bus woken by `store`'s watch (polling every 5 ms) while the block runs."""
    bus = EventBus()
    watcher = asyncio.create_task(wake_on_outside_writes(store, bus, every_seconds=0.005))
    try:
        yield bus
    finally:
        watcher.cancel()


async def test_an_outside_append_wakes_a_subscriber(
    pair: tuple[SqliteEventStore, SqliteEventStore],
) -> None:
    ours, other = pair  # ours, and another writer of the file
    async with watching(ours) as bus, bus.subscribe() as subscription:
        await asyncio.sleep(0.02)  # the watcher has looked once
        await other.append("counter", "a", 0, [new(), new()])
        assert await asyncio.wait_for(subscription.wait(0), timeout=5) == 2
    assert [e.position for e in await ours.read_all(0)] == [1, 2]


async def test_our_own_commits_are_seen_too_but_never_move_the_bus_backwards(
    pair: tuple[SqliteEventStore, SqliteEventStore],
) -> None:
    ours, other = pair  # ours, and another writer of the file
    async with watching(ours) as bus, bus.subscribe() as subscription:
        await ours.append("counter", "mine", 0, [new()])
        await other.append("counter", "theirs", 0, [new()])
        await ours.append("counter", "mine", 1, [new()])
        assert await asyncio.wait_for(subscription.wait(2), timeout=5) == 3


async def test_a_store_other_than_sqlite_is_watched_by_its_last_position() -> None:
    store = MemoryEventStore()
    async with watching(store) as bus, bus.subscribe() as subscription:
        await store.append("counter", "a", 0, [new()])  # nobody publishes it
        assert await asyncio.wait_for(subscription.wait(0), timeout=5) == 1


async def test_a_failing_poll_is_logged_and_the_next_one_tried(
    pair: tuple[SqliteEventStore, SqliteEventStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, other = pair  # ours, and another writer of the file
    calls = 0
    real = ours.data_version

    def flaky() -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk hiccup")
        return real()

    monkeypatch.setattr(ours, "data_version", flaky)
    async with watching(ours) as bus:
        await other.append("counter", "a", 0, [new()])
        async with bus.subscribe() as subscription:
            assert await asyncio.wait_for(subscription.wait(0), timeout=5) == 1
    assert calls > 2


async def test_the_app_wakes_its_bus_for_outside_writes_unless_turned_off(
    settings: Settings,
) -> None:
    for every, expected in ((0.005, 1), (0.0, 0)):
        settings = msgspec.structs.replace(settings, outside_writes_seconds=every)
        app = create_app(settings, features=[])
        async with app.router.lifespan_context(app):
            bus: EventBus = app.state.services.bus
            other = await SqliteEventStore.open(settings.database_path)
            start = bus.position
            await other.append("outside", f"x{every}", 0, [new()])
            for _ in range(100):
                if bus.position > start:
                    break
                await asyncio.sleep(0.005)
            await other.close()
            assert bus.position - start == expected
