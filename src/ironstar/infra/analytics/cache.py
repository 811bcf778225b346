"""QueryCache: TTL cache with single-flight misses and event-driven invalidation.

A burst of identical requests runs the query once: the first caller starts it, the
others await the same future. `invalidate()` (called when the projection commits new
events) empties the cache and bumps a generation, so a query that started before the
new events cannot store its now-stale answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache


@dataclass
class CacheStats:
    """Read by the monitor page (`services.extras["analytics_cache"]`)."""

    hits: int = 0
    misses: int = 0
    loads: int = 0  # queries actually run (misses minus those that joined a flight)
    invalidations: int = 0
    size: int = 0


class QueryCache:
    def __init__(self, *, maxsize: int = 512, ttl_seconds: float = 30.0) -> None:
        self._entries: TTLCache[Hashable, Any] = TTLCache(maxsize, ttl_seconds)
        self._flights: dict[Hashable, asyncio.Future[Any]] = {}
        self._generation = 0
        self.stats = CacheStats()

    @property
    def hits(self) -> int:
        return self.stats.hits

    @property
    def misses(self) -> int:
        return self.stats.misses

    async def get[T](self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        try:
            value: T = self._entries[key]
        except KeyError:
            pass
        else:
            self.stats.hits += 1
            return value
        self.stats.misses += 1
        flight_key = (self._generation, key)
        flight: asyncio.Future[T] | None = self._flights.get(flight_key)
        if flight is None:
            flight = self._start(flight_key, key, load)
        # Shielded: a caller that goes away (a closed tab) does not cancel the others' query.
        return await asyncio.shield(flight)

    def _start[T](
        self, flight_key: tuple[int, Hashable], key: Hashable, load: Callable[[], Awaitable[T]]
    ) -> asyncio.Future[T]:
        self.stats.loads += 1
        generation = flight_key[0]

        async def run() -> T:
            try:
                value = await load()
            finally:
                self._flights.pop(flight_key, None)
            if generation == self._generation:
                self._entries[key] = value
                self.stats.size = len(self._entries)
            return value

        task = asyncio.ensure_future(run())
        task.add_done_callback(_retrieve)  # every caller may have left; don't warn then
        self._flights[flight_key] = task
        return task

    def invalidate(self, _position: int = 0) -> None:
        self._generation += 1
        self._entries.clear()
        self.stats.invalidations += 1
        self.stats.size = 0


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
