"""Shared views: one producer per key, latest-only delivery, stop with the last listener."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from ironstar.web.topics import Topics


class CountingProducer:
    def __init__(self) -> None:
        self.renders = 0
        self.changed = asyncio.Event()
        self.stopped = False

    async def __call__(self) -> AsyncIterator[str]:
        try:
            while True:
                self.renders += 1
                yield f"view {self.renders}"
                await self.changed.wait()
                self.changed.clear()
        finally:
            self.stopped = True


async def next_of(listener: AsyncIterator[bytes]) -> bytes:
    return await asyncio.wait_for(anext(listener), 1)


async def test_many_listeners_share_one_rendering_per_change() -> None:
    topics, producer = Topics(), CountingProducer()
    listeners = [topics.listen("k", producer) for _ in range(100)]
    streams = [aiter(listener) for listener in listeners]
    assert {await next_of(s) for s in streams} == {b"view 1"}
    producer.changed.set()
    assert {await next_of(s) for s in streams} == {b"view 2"}
    assert producer.renders == 2
    assert len(topics) == 1
    await topics.close()


async def test_a_slow_listener_gets_only_the_latest_view() -> None:
    topics, producer = Topics(), CountingProducer()
    stream = aiter(topics.listen("k", producer))
    assert await next_of(stream) == b"view 1"
    for _ in range(3):
        producer.changed.set()
        await asyncio.sleep(0.01)
    assert await next_of(stream) == b"view 4"
    await topics.close()


async def test_a_late_listener_starts_from_the_current_view() -> None:
    topics, producer = Topics(), CountingProducer()
    first = aiter(topics.listen("k", producer))
    await next_of(first)
    late = aiter(topics.listen("k", producer))
    assert await next_of(late) == b"view 1"
    assert producer.renders == 1
    await topics.close()


async def test_the_topic_stops_when_its_last_listener_leaves() -> None:
    topics, producer = Topics(), CountingProducer()
    async with topics.listen("k", producer) as listener:
        await next_of(aiter(listener))
    await asyncio.sleep(0.01)
    assert producer.stopped
    assert len(topics) == 0
