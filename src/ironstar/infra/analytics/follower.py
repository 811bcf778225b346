"""AnalyticsFollower: keeps the DuckDB projection up to date with the event store.

Woken by the bus (a wake-up only), it waits a short debounce so a burst of commands
becomes one batch (under steady traffic, at least `min_interval_seconds` since the last
catch-up), reads what was stored up to then by position, and loads it in its own worker
thread (DuckDB calls block). A batch (one DuckDB transaction) is read in
chunks: SQLite builds the next chunk on the reader thread while DuckDB loads this one.
Listeners hear the new position after each committed catch-up: the query cache drops its
entries, dashboard streams re-query.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import structlog

from ironstar.infra.analytics.projection import AnalyticsProjection
from ironstar.infra.analytics.source import Lines, Source, SqliteSource, read_store
from ironstar.infra.bus import EventBus, Subscription
from ironstar.infra.event_store import SqliteEventStore
from ironstar.kernel import EventStore

log = structlog.get_logger(__name__)

type Progress = Callable[[int, int], None]  # (events done, events in total)

# The gap from which a process that never writes the store loads it with the scanner.
SCAN_THRESHOLD = 200_000


class AnalyticsFollower:
    def __init__(
        self,
        projection: AnalyticsProjection,
        store: EventStore,
        *,
        source: Source | None = None,
        batch_size: int = 50_000,
        chunk_size: int = 10_000,
        scan_threshold: int | None = None,
        debounce_seconds: float = 0.2,
        min_interval_seconds: float = 1.0,
        idle_seconds: float = 0.5,
        flush_bytes: int = 4 << 20,
        retry_seconds: float = 5.0,
    ) -> None:
        self.projection = projection
        self.store = store
        self.batch_size = batch_size  # events per transaction (at most)
        # Events per read (at most batch_size). Smaller chunks overlap more of SQLite's work
        # with DuckDB's when a core is free, but each costs a statement on both sides and
        # colder caches: a 10k catch-up in 5k chunks used 34-38 ms of CPU against 29-32 in
        # one 10k chunk (steady-state follower, interleaved); the box is shared, so CPU wins.
        self.chunk_size = chunk_size
        # Gaps at least this big (a rebuild, a long outage) are loaded by DuckDB's
        # sqlite_scanner straight from the store's file, when the store is SQLite. None
        # (the default): never. The scanner's own copy of SQLite drops this process's
        # locks on the file when it closes it (POSIX), so only a process that does not
        # write the store may opt in (`SCAN_THRESHOLD`: the rebuild command, the bench);
        # otherwise another writer (`seed-demo`) could write at the same time.
        self.scan_threshold = scan_threshold
        self.debounce_seconds = debounce_seconds
        # Under steady traffic a catch-up starts at most once per `min_interval_seconds`
        # (the debounce alone restarts one every ~0.2 s): a catch-up of 1 to 200 events
        # costs 9-12 ms of CPU whatever its size (DuckDB statements, the todos MERGE, the
        # commit), CPU taken from the web server's event loop. After a quiet spell the
        # first event still waits only the debounce.
        self.min_interval_seconds = min_interval_seconds
        self._started = -math.inf  # loop time the last catch-up by `follow` started
        # DuckDB's WAL is flushed into its file while the follower waits, never inside a
        # batch: after `idle_seconds` without a wake-up, or during the debounce once it
        # holds `flush_bytes` (steady traffic); see `AnalyticsProjection.flush`.
        self.idle_seconds = idle_seconds
        self.flush_bytes = flush_bytes
        self.retry_seconds = retry_seconds
        # Published after each committed catch-up; subscribe to re-query (dashboard streams).
        self.applied = EventBus(projection.position)
        self.listeners: list[Callable[[int], None]] = []
        # SQLite file → rows built by SQLite itself; any other store → through the port.
        if source is None and isinstance(store, SqliteEventStore):
            source = SqliteSource(store.path)
        self.source = source
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="analytics-writer")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="analytics-reader")
        self._lock = asyncio.Lock()

    @property
    def position(self) -> int:
        return self.projection.position

    async def catch_up(self, progress: Progress | None = None) -> int:
        """Load every stored event after the checkpoint; return how many were loaded."""
        async with self._lock:
            # Only what is stored now: events committed meanwhile (steady traffic) are the
            # next catch-up's. Chasing them here read a chunk of a few events after every
            # load, and each chunk is a DuckDB statement of ~4 ms CPU whatever its size.
            end = await self.store.last_position()
            total = max(0, end - self.position)
            done = await self._scan(total)
            if done and progress is not None:
                progress(done, max(total, done))
            chunk = await self._read(self.position, end)
            while chunk is not None:
                loaded, chunk = await self._load_batch(chunk, end, progress, done, total)
                done += loaded
            if done:
                self._announce()
            return done

    async def _load_batch(
        self, chunk: Lines, end: int, progress: Progress | None, done: int, total: int
    ) -> tuple[int, Lines | None]:
        """One transaction of up to `batch_size` events, starting with `chunk`.

        Each next chunk is read (SQLite, reader thread) while DuckDB loads the current one
        (writer thread); both release the GIL. Returns (events loaded, the next batch's
        first chunk or None).
        """
        projection = self.projection
        loaded, last = 0, chunk.last
        following: Lines | None = chunk
        await self._run(projection.begin)
        try:
            while following is not None and loaded < self.batch_size:
                chunk, last = following, following.last
                loading = self._run(partial(projection.load, chunk))
                following, count = await asyncio.gather(self._read(chunk.last, end), loading)
                loaded += count
                if progress is not None:
                    progress(done + loaded, max(total, done + loaded))
            await self._run(partial(projection.commit, last))
        except BaseException:
            await self._run(projection.rollback)
            raise
        return loaded, following

    async def rebuild(self, progress: Progress | None = None) -> tuple[int, float]:
        """Drop the projection and replay the whole log: (events, seconds)."""
        started = time.perf_counter()
        async with self._lock:
            await self._run(self.projection.reset)
        done = await self.catch_up(progress)
        return done, time.perf_counter() - started

    async def follow(self, bus: EventBus) -> None:
        """Run until cancelled: catch up now, then after every (debounced) wake-up."""
        async with bus.subscribe() as subscription:
            while True:
                self._started = asyncio.get_running_loop().time()
                try:
                    await self.catch_up()
                except Exception:
                    log.exception("analytics.catch_up_failed", position=self.position)
                    await asyncio.sleep(self.retry_seconds)
                    continue
                await self._wait(subscription)

    async def _wait(self, subscription: Subscription) -> None:
        """Until the next wake-up and its debounce, flushing DuckDB's WAL meanwhile."""
        try:
            await asyncio.wait_for(subscription.wait(self.position), self.idle_seconds)
        except TimeoutError:  # idle: flush now, off any batch's path
            await self.flush()
            await subscription.wait(self.position)
            await asyncio.sleep(self._delay())
            return
        debounce = asyncio.sleep(self._delay())
        if self.projection.wal_bytes() < self.flush_bytes:
            await debounce
        else:  # never idle, WAL growing: flush while the burst gathers
            await asyncio.gather(debounce, self.flush())

    def _delay(self) -> float:
        """From a wake-up to the catch-up: the debounce, or what is left of the interval."""
        next_start = self._started + self.min_interval_seconds
        return max(self.debounce_seconds, next_start - asyncio.get_running_loop().time())

    async def flush(self) -> None:
        """Move DuckDB's WAL into its file now (`AnalyticsProjection.flush`)."""
        async with self._lock:
            try:
                await self._run(self.projection.flush)
            except Exception:  # DuckDB checkpoints by itself later; never stop following
                log.exception("analytics.flush_failed", position=self.position)

    async def close(self) -> None:
        async with self._lock:
            await self._run(self.projection.close)
        self._writer.shutdown(wait=True)
        self._reader.shutdown(wait=True)
        if isinstance(self.source, SqliteSource):
            self.source.close()

    async def _scan(self, gap: int) -> int:
        """Load a big gap with one sqlite_scanner statement; 0 when it does not apply."""
        source = self.source
        threshold = self.scan_threshold
        if not isinstance(source, SqliteSource) or threshold is None or gap < threshold:
            return 0
        projection = self.projection
        if not await self._run(projection.can_scan_sqlite):
            return 0
        loop = asyncio.get_running_loop()
        last = await loop.run_in_executor(self._reader, source.last_position)
        return await self._run(partial(projection.apply_sqlite, source.path, last))

    async def _read(self, after: int, end: int) -> Lines | None:
        """The next chunk after `after`, up to `end` (a position gap lets a few more in)."""
        limit = min(self.chunk_size, self.batch_size, end - after)
        if limit <= 0:
            return None
        if self.source is None:
            return await read_store(self.store, after, limit)
        read = partial(self.source.read, after, limit)
        return await asyncio.get_running_loop().run_in_executor(self._reader, read)

    def _announce(self) -> None:
        for listener in self.listeners:
            listener(self.position)
        self.applied.publish(self.position)

    async def _run[T](self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn)
