"""One sampler for every viewer: it measures once a second and renders one SSE patch.

Streams only wait for the next tick and send the same string, so a hundred open monitor
tabs cost one measurement and one render per second, not a hundred. psutil, `stat` and
the session count touch files or SQLite, so they run in a worker thread, off the loop.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import msgspec
import psutil
import structlog

from ironstar.infra.bus import EventBus
from ironstar.services import Services
from ironstar.web.sse import SSE

log = structlog.get_logger(__name__)
ABSENT = "—"  # shown for a metric this app does not have (no analytics cache)


class Sample(msgspec.Struct, frozen=True):
    cpu_percent: float = 0.0
    memory_percent: float = 0.0
    memory_used_mb: float = 0.0
    memory_total_mb: float = 0.0
    load_1: float = 0.0
    load_5: float = 0.0
    load_15: float = 0.0
    open_streams: int = 0
    bus_subscribers: int = 0
    position: int = 0
    events_per_second: float = 0.0
    projection_lag: int = 0
    store_bytes: int = 0
    store_size: str = "0 B"
    sessions: int = 0
    cache_hits: int | str = ABSENT
    cache_misses: int | str = ABSENT


class HostStats(msgspec.Struct, frozen=True):
    """What the worker thread measures: the system, the store files, the session table."""

    cpu_percent: float
    memory_percent: float
    memory_used_mb: float
    memory_total_mb: float
    load: tuple[float, float, float]
    store_bytes: int
    sessions: int


class AppStats(msgspec.Struct, frozen=True):
    """What the event loop reads from the app's own objects (cheap, no I/O but the store)."""

    open_streams: int
    bus_subscribers: int
    position: int
    events_per_second: float
    projection_lag: int


class Sampler:
    def __init__(
        self,
        services: Services,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self.interval = interval
        self.clock = clock
        self.ticks = EventBus()  # a wake-up per sample; subscribers read `patch`
        self.tick = 0
        self.latest = Sample()
        self.patch = render(self.latest)
        self._last: tuple[float, int] | None = None  # (time, store position)
        psutil.cpu_percent(interval=None)  # primes the counter: the next call is meaningful

    async def run(self) -> None:
        """The background job: sample while someone watches; a failed sample is skipped."""
        while True:
            if self.ticks.subscriber_count or self.tick == 0:
                try:
                    await self.sample_once()
                except Exception:
                    log.exception("monitor.sample_failed")
            else:
                self._last = None  # nobody watching: no work, and no rate across the gap
            await asyncio.sleep(self.interval)

    async def sample_once(self) -> Sample:
        services = self.services
        host = await asyncio.to_thread(
            measure_host, services.settings.database_path, services.sessions.count
        )
        position = await services.store.last_position()
        app = AppStats(
            open_streams=services.streams.open_streams,
            bus_subscribers=services.bus.subscriber_count,
            position=position,
            events_per_second=self._rate(position),
            projection_lag=max(0, services.bus.position - services.projections.position),
        )
        self.latest = combine(host, app, cache_stats(services.extras.get("analytics_cache")))
        self.patch = render(self.latest)
        self.tick += 1
        self.ticks.publish(self.tick)
        return self.latest

    def _rate(self, position: int) -> float:
        now, last = self.clock(), self._last
        self._last = (now, position)
        if last is None or now <= last[0]:
            return 0.0
        return round((position - last[1]) / (now - last[0]), 1)


def render(sample: Sample) -> str:
    return SSE.patch_signals({"monitor": msgspec.structs.asdict(sample)})


def measure_host(database: Path, count_sessions: Callable[[], int]) -> HostStats:
    memory = psutil.virtual_memory()
    mb = 1024 * 1024
    return HostStats(
        cpu_percent=round(psutil.cpu_percent(interval=None), 1),
        memory_percent=round(memory.percent, 1),
        memory_used_mb=round((memory.total - memory.available) / mb, 1),
        memory_total_mb=round(memory.total / mb, 1),
        load=tuple(round(x, 2) for x in os.getloadavg()),  # type: ignore[arg-type]
        store_bytes=store_bytes(database),
        sessions=count_sessions(),
    )


def store_bytes(database: Path) -> int:
    """The SQLite file plus its write-ahead log (recent commits live there until a checkpoint)."""
    return _size(database) + _size(database.with_name(database.name + "-wal"))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # no WAL after a clean close; no database before first use
        return 0


def cache_stats(cache: object) -> tuple[int | str, int | str]:
    """Hits and misses of whatever the analytics feature published, or "—" for each.

    Duck-typed (attributes `hits`/`misses`, a mapping with those keys, or a `stats()`
    method returning either) so this feature works with or without analytics installed.
    """
    if callable(stats := getattr(cache, "stats", None)):
        cache = stats()
    if isinstance(cache, Mapping):
        hits, misses = cache.get("hits"), cache.get("misses")
    else:
        hits, misses = getattr(cache, "hits", None), getattr(cache, "misses", None)
    return (_count(hits), _count(misses))


def _count(value: object) -> int | str:
    return value if isinstance(value, int) and not isinstance(value, bool) else ABSENT


def combine(host: HostStats, app: AppStats, cache: tuple[int | str, int | str]) -> Sample:
    return Sample(
        cpu_percent=host.cpu_percent,
        memory_percent=host.memory_percent,
        memory_used_mb=host.memory_used_mb,
        memory_total_mb=host.memory_total_mb,
        load_1=host.load[0],
        load_5=host.load[1],
        load_15=host.load[2],
        store_bytes=host.store_bytes,
        store_size=human_bytes(host.store_bytes),
        sessions=host.sessions,
        cache_hits=cache[0],
        cache_misses=cache[1],
        **msgspec.structs.asdict(app),
    )


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover
