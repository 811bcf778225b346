from __future__ import annotations

import asyncio

from ironstar.infra import EventBus


async def test_a_subscriber_wakes_with_the_latest_position() -> None:
    bus = EventBus()
    async with bus.subscribe() as sub:
        waiter = asyncio.create_task(sub.wait(0))
        await asyncio.sleep(0)
        bus.publish(3)
        bus.publish(5)
        assert await waiter == 5


async def test_a_subscriber_behind_the_bus_returns_at_once() -> None:
    bus = EventBus(position=10)
    async with bus.subscribe() as sub:
        assert await sub.wait(4) == 10


async def test_leaving_the_subscription_unsubscribes() -> None:
    bus = EventBus()
    async with bus.subscribe():
        assert bus.subscriber_count == 1
    assert bus.subscriber_count == 0


async def test_a_slow_subscriber_does_not_delay_the_others() -> None:
    bus = EventBus()
    async with bus.subscribe() as fast, bus.subscribe():
        for position in range(1, 1001):
            bus.publish(position)  # the slow one never waits: nothing queues up
        assert await asyncio.wait_for(fast.wait(999), 1) == 1000


async def test_publishing_an_older_position_is_ignored() -> None:
    bus = EventBus(position=5)
    bus.publish(3)
    assert bus.position == 5
