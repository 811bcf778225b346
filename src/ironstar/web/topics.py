"""Shared views: one producer renders a view once per change for every stream showing it.

A `Topic` runs while anyone listens; each listener keeps only the latest rendering
(views are whole-region snapshots, so a slow listener skips states it missed instead of
queuing them). Rendering, encoding and waiting for projections happen once per change,
not once per subscriber: this is what makes fan-out to thousands of streams cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Hashable
from types import TracebackType

import structlog

log = structlog.get_logger(__name__)

type Producer = Callable[[], AsyncIterator[str | bytes]]


class Listener:
    __slots__ = ("_ready", "_seen", "_topic")

    def __init__(self, topic: Topic) -> None:
        self._topic = topic
        self._ready = asyncio.Event()
        self._seen = 0
        if topic.version:
            self._ready.set()

    def wake(self) -> None:
        self._ready.set()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            await self._ready.wait()
            self._ready.clear()
            if self._topic.version != self._seen and self._topic.latest is not None:
                self._seen = self._topic.version
                yield self._topic.latest

    async def __aenter__(self) -> Listener:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._topic.leave(self)


class Topic:
    def __init__(self, key: Hashable, producer: Producer, on_idle: Callable[[Topic], None]):
        self.key = key
        self.latest: bytes | None = None
        self.version = 0
        self._producer = producer
        self._on_idle = on_idle
        self._listeners: set[Listener] = set()
        self._task = asyncio.create_task(self._run(), name=f"topic {key!r}")

    def join(self) -> Listener:
        listener = Listener(self)
        self._listeners.add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        self._listeners.discard(listener)
        if not self._listeners:
            self._task.cancel()
            self._on_idle(self)

    async def _run(self) -> None:
        try:
            async for event in self._producer():
                self.latest = event if isinstance(event, bytes) else event.encode()
                self.version += 1
                for listener in self._listeners:
                    listener.wake()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("topic producer failed", topic=self.key)


class Topics:
    """The live topics by key; a topic starts with its first listener, stops with its last."""

    def __init__(self) -> None:
        self._topics: dict[Hashable, Topic] = {}

    def listen(self, key: Hashable, producer: Producer) -> Listener:
        topic = self._topics.get(key)
        if topic is None:
            topic = self._topics[key] = Topic(key, producer, self._forget)
        return topic.join()

    def __len__(self) -> int:
        return len(self._topics)

    def _forget(self, topic: Topic) -> None:
        if self._topics.get(topic.key) is topic:
            del self._topics[topic.key]

    async def close(self) -> None:
        tasks = [topic._task for topic in self._topics.values()]
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        self._topics.clear()
