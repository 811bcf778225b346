"""Shared views: one producer renders a view once per change for every stream showing it.

A `Topic` runs while anyone listens. On each change it hands the new rendering to every
subscriber itself (`Subscriber.write`, which must not block: a stream's sink writes at
once or keeps only the latest chunk for a slow client, see `web/streams.py`). Views are
whole-region snapshots, so a subscriber that skips states loses nothing. Rendering,
encoding and waiting for projections happen once per change, not once per subscriber:
this is what makes fan-out to thousands of streams cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)

type Producer = Callable[[], AsyncIterator[str | bytes]]


class Subscriber(Protocol):
    def write(self, chunk: bytes) -> None:
        """Take `chunk` now, without waiting; a later chunk may replace it."""
        ...


class Topic:
    def __init__(self, key: Hashable, producer: Producer, on_idle: Callable[[Topic], None]) -> None:
        self.key = key
        self.latest: bytes | None = None
        self.version = 0
        self._producer = producer
        self._on_idle = on_idle
        self._subscribers: dict[Subscriber, None] = {}  # in join order
        self._task = asyncio.create_task(self._run(), name=f"topic {key!r}")

    def join(self, subscriber: Subscriber) -> None:
        self._subscribers[subscriber] = None
        if self.latest is not None:
            subscriber.write(self.latest)

    def leave(self, subscriber: Subscriber) -> None:
        """Remove `subscriber`; the topic stops with its last one."""
        self._subscribers.pop(subscriber, None)
        if not self._subscribers:
            self._task.cancel()
            self._on_idle(self)

    async def _run(self) -> None:
        try:
            async for event in self._producer():
                self.latest = event if isinstance(event, bytes) else event.encode()
                self.version += 1
                self._deliver(self.latest)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("topic producer failed", topic=self.key)

    def _deliver(self, latest: bytes) -> None:
        # Its own frame, so no subscriber lingers in `_run`'s locals after it left. A
        # copy, as a write that fails may end its stream, which leaves this topic.
        for subscriber in list(self._subscribers):
            subscriber.write(latest)


class Topics:
    """The live topics by key; a topic starts with its first subscriber, stops with its last."""

    def __init__(self) -> None:
        self._topics: dict[Hashable, Topic] = {}

    def join(self, key: Hashable, producer: Producer, subscriber: Subscriber) -> Topic:
        topic = self._topics.get(key)
        if topic is None:
            topic = self._topics[key] = Topic(key, producer, self._forget)
        topic.join(subscriber)
        return topic

    def leave(self, key: Hashable, subscriber: Subscriber) -> None:
        topic = self._topics.get(key)
        if topic is not None:
            topic.leave(subscriber)

    def _forget(self, topic: Topic) -> None:
        if self._topics.get(topic.key) is topic:
            del self._topics[topic.key]

    def __len__(self) -> int:
        return len(self._topics)

    async def close(self) -> None:
        tasks = [topic._task for topic in self._topics.values()]
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        self._topics.clear()
