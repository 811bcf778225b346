"""Events appended by another process (another connection here) wake this process's bus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from ironstar.app import create_app
from ironstar.infra import EventBus, SqliteEventStore
from ironstar.infra.outside_writes import wake_on_outside_writes
from ironstar.settings import Settings
from tests.infra.store_contract import new


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SqliteEventStore, SqliteEventStore]]:
    """Ours and another writer of the same file (its own connections, like a process)."""
    ours = await SqliteEventStore.open(tmp_path / "e.db")
    other = await SqliteEventStore.open(tmp_path / "e.db")
    yield ours, other
    await other.close()
    await ours.close()


async def test_an_outside_append_wakes_a_subscriber(
    stores: tuple[SqliteEventStore, SqliteEventStore],
) -> None:
    ours, other = stores
    bus = EventBus()
    watcher = asyncio.create_task(wake_on_outside_writes(ours, bus, every_seconds=0.005))
    async with bus.subscribe() as subscription:
        await asyncio.sleep(0.02)  # the watcher has looked once
        await other.append("counter", "a", 0, [new(), new()])
        woken_at = await asyncio.wait_for(subscription.wait(0), timeout=5)
    watcher.cancel()
    assert woken_at == 2
    assert [e.position for e in await ours.read_all(0)] == [1, 2]


async def test_our_own_commits_are_seen_too_but_never_move_the_bus_backwards(
    stores: tuple[SqliteEventStore, SqliteEventStore],
) -> None:
    ours, other = stores
    bus = EventBus()
    watcher = asyncio.create_task(wake_on_outside_writes(ours, bus, every_seconds=0.005))
    await ours.append("counter", "mine", 0, [new()])
    await other.append("counter", "theirs", 0, [new()])
    await ours.append("counter", "mine", 1, [new()])
    for _ in range(500):
        if bus.position == 3:
            break
        await asyncio.sleep(0.005)
    watcher.cancel()
    assert bus.position == 3


async def test_a_failing_poll_is_logged_and_the_next_one_tried(
    stores: tuple[SqliteEventStore, SqliteEventStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, other = stores
    calls = 0
    real = ours.data_version

    def flaky() -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk hiccup")
        return real()

    monkeypatch.setattr(ours, "data_version", flaky)
    bus = EventBus()
    watcher = asyncio.create_task(wake_on_outside_writes(ours, bus, every_seconds=0.005))
    await other.append("counter", "a", 0, [new()])
    async with bus.subscribe() as subscription:
        assert await asyncio.wait_for(subscription.wait(0), timeout=5) == 1
    watcher.cancel()
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
