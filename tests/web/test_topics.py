"""Shared views: one producer per key, pushed to every subscriber, stop with the last one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

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


class Recorder:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.arrived = asyncio.Event()

    def write(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.arrived.set()


async def until(condition: Callable[[], object]) -> None:
    async def poll() -> None:
        # The conditions span many objects; a short poll keeps the fakes simple.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.001)

    await asyncio.wait_for(poll(), 1)


async def test_many_subscribers_share_one_rendering_per_change() -> None:
    topics, producer = Topics(), CountingProducer()
    subscribers = [Recorder() for _ in range(100)]
    for subscriber in subscribers:
        topics.join("k", producer, subscriber)
    await until(lambda: all(s.chunks for s in subscribers))
    producer.changed.set()
    await until(lambda: all(len(s.chunks) == 2 for s in subscribers))
    assert {tuple(s.chunks) for s in subscribers} == {(b"view 1", b"view 2")}
    assert producer.renders == 2
    assert len(topics) == 1
    await topics.close()


async def test_every_subscriber_gets_the_same_bytes_object() -> None:
    topics, producer = Topics(), CountingProducer()
    first, second = Recorder(), Recorder()
    topics.join("k", producer, first)
    topics.join("k", producer, second)
    await until(lambda: first.chunks and second.chunks)
    assert first.chunks[0] is second.chunks[0]  # encoded once, never copied per stream
    await topics.close()


async def test_a_late_subscriber_starts_from_the_current_view() -> None:
    topics, producer = Topics(), CountingProducer()
    first = Recorder()
    topics.join("k", producer, first)
    await until(lambda: first.chunks)
    late = Recorder()
    topics.join("k", producer, late)
    assert late.chunks == [b"view 1"]  # at once, from the join itself
    assert producer.renders == 1
    await topics.close()


async def test_the_topic_stops_when_its_last_subscriber_leaves() -> None:
    topics, producer = Topics(), CountingProducer()
    one, two = Recorder(), Recorder()
    topics.join("k", producer, one)
    topics.join("k", producer, two)
    await until(lambda: one.chunks)
    topics.leave("k", one)
    assert len(topics) == 1
    producer.changed.set()
    await until(lambda: len(two.chunks) == 2)
    assert one.chunks == [b"view 1"]  # gone: no more writes
    topics.leave("k", two)
    await until(lambda: producer.stopped)
    assert len(topics) == 0


async def test_a_subscriber_leaving_during_a_write_does_not_break_the_others() -> None:
    topics, producer = Topics(), CountingProducer()
    others = [Recorder() for _ in range(3)]

    class LeavesOnWrite(Recorder):
        def write(self, chunk: bytes) -> None:
            super().write(chunk)
            if len(self.chunks) == 2:
                topics.leave("k", self)

    leaver = LeavesOnWrite()
    topics.join("k", producer, leaver)
    for other in others:
        topics.join("k", producer, other)
    await until(lambda: all(o.chunks for o in others))
    producer.changed.set()
    await until(lambda: all(len(o.chunks) == 2 for o in others))
    assert len(leaver.chunks) == 2
    await topics.close()
