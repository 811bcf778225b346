"""The sampler's arithmetic and duck typing, without a server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ironstar.app import create_app
from ironstar.features.monitor.sampler import (
    ABSENT,
    Sampler,
    cache_stats,
    human_bytes,
    render,
    store_bytes,
)
from ironstar.services import Services
from ironstar.settings import Settings
from tests.kernel.counter import Add, counter


@dataclass
class AttributeCache:
    hits: int
    misses: int


class StatsCache:
    def stats(self) -> dict[str, int]:
        return {"hits": 7, "misses": 2}


@pytest.mark.parametrize(
    ("cache", "expected"),
    [
        (None, (ABSENT, ABSENT)),
        (object(), (ABSENT, ABSENT)),
        (AttributeCache(3, 1), (3, 1)),
        ({"hits": 5, "misses": 0}, (5, 0)),
        (StatsCache(), (7, 2)),
        ({"hits": True, "misses": "many"}, (ABSENT, ABSENT)),
    ],
)
def test_cache_stats_are_read_from_whatever_shape_is_published(
    cache: object, expected: tuple[object, object]
) -> None:
    assert cache_stats(cache) == expected


@pytest.mark.parametrize(
    ("size", "text"), [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 kB"), (5 * 1024**3, "5.0 GB")]
)
def test_sizes_read_like_a_human_wrote_them(size: int, text: str) -> None:
    assert human_bytes(size) == text


def test_store_size_counts_the_write_ahead_log(tmp_path: Path) -> None:
    database = tmp_path / "store.sqlite3"
    assert store_bytes(database) == 0
    database.write_bytes(b"x" * 100)
    (tmp_path / "store.sqlite3-wal").write_bytes(b"x" * 20)
    assert store_bytes(database) == 120


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services: Services = create_app(settings).state.services
    yield services
    services.sessions.close()


async def test_events_per_second_comes_from_store_positions_over_time(
    services: Services,
) -> None:
    times = iter([10.0, 12.0])
    sampler = Sampler(services, clock=lambda: next(times))
    first = await sampler.sample_once()
    assert first.events_per_second == 0.0  # no earlier sample to compare with
    for _ in range(4):
        await services.commands.handle(counter, "c1", Add(1))
    second = await sampler.sample_once()
    assert (second.position, second.events_per_second) == (4, 2.0)
    assert second.store_bytes > 0
    await services.store.close()


async def test_a_sample_is_rendered_once_and_wakes_subscribers(services: Services) -> None:
    sampler = Sampler(services)
    services.extras["analytics_cache"] = AttributeCache(hits=3, misses=1)
    async with sampler.ticks.subscribe() as subscription:
        sample = await sampler.sample_once()
        assert await subscription.wait(0) == 1
    assert sampler.patch == render(sample)
    assert '"cache_hits":3,"cache_misses":1' in sampler.patch
    assert sampler.patch.startswith("event: datastar-patch-signals\n")
    await services.store.close()


async def test_the_sampler_rests_while_nobody_watches(services: Services) -> None:
    sampler = Sampler(services, interval=0.01)
    job = asyncio.create_task(sampler.run())
    await asyncio.sleep(0.1)
    assert sampler.tick == 1  # the first sample, for the page; then nothing
    async with sampler.ticks.subscribe() as subscription:
        assert await asyncio.wait_for(subscription.wait(3), timeout=5) > 3
    job.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await job
    await services.store.close()
