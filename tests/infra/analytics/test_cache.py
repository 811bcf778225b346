"""QueryCache: hits and misses, single-flight, invalidation while a query runs."""

from __future__ import annotations

import asyncio

import pytest

from ironstar.infra.analytics import QueryCache


class Loader:
    def __init__(self, value: int = 1, *, delay: float = 0.01) -> None:
        self.value = value
        self.delay = delay
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        value = self.value  # what the data said when the query started
        await asyncio.sleep(self.delay)
        return value


async def test_a_second_call_is_a_hit() -> None:
    cache, load = QueryCache(), Loader(7)
    assert await cache.get("k", load) == 7
    assert await cache.get("k", load) == 7
    assert (load.calls, cache.hits, cache.misses) == (1, 1, 1)


async def test_a_hundred_concurrent_misses_run_one_query() -> None:
    cache, load = QueryCache(), Loader(3, delay=0.05)
    results = await asyncio.gather(*(cache.get("k", load) for _ in range(100)))
    assert results == [3] * 100
    assert load.calls == 1
    assert cache.stats.loads == 1
    assert cache.misses == 100


async def test_invalidation_makes_the_next_call_query_again() -> None:
    cache, load = QueryCache(), Loader(1)
    await cache.get("k", load)
    load.value = 2
    cache.invalidate()
    assert await cache.get("k", load) == 2
    assert cache.stats.invalidations == 1


async def test_a_query_started_before_an_invalidation_is_not_cached() -> None:
    cache, load = QueryCache(), Loader(1, delay=0.05)
    running = asyncio.create_task(cache.get("k", load))
    await asyncio.sleep(0.01)
    cache.invalidate()  # new events arrive while the old query runs
    load.value = 2
    assert await cache.get("k", load) == 2  # a new flight, not the stale one
    assert await running == 1
    assert await cache.get("k", load) == 2
    assert load.calls == 2


async def test_an_error_reaches_every_waiter_and_is_not_cached() -> None:
    cache = QueryCache()
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise ValueError("boom")

    results = await asyncio.gather(
        *(cache.get("k", failing) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, ValueError) for r in results)
    assert calls == 1
    with pytest.raises(ValueError, match="boom"):
        await cache.get("k", failing)
    assert calls == 2


async def test_a_caller_that_leaves_does_not_cancel_the_others() -> None:
    cache, load = QueryCache(), Loader(5, delay=0.05)
    leaving = asyncio.create_task(cache.get("k", load))
    staying = asyncio.create_task(cache.get("k", load))
    await asyncio.sleep(0.01)
    leaving.cancel()
    assert await staying == 5
    assert load.calls == 1


async def test_entries_expire_after_the_ttl() -> None:
    cache, load = QueryCache(ttl_seconds=0.05), Loader(1, delay=0)
    await cache.get("k", load)
    await asyncio.sleep(0.08)
    await cache.get("k", load)
    assert load.calls == 2
