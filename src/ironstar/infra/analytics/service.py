"""AnalyticsService: the async face of the dashboard queries, cached and off the loop.

Queries run on a small pool of reader threads, each call borrowing one of the DuckDB
cursors created up front (a cursor is not shared between threads at once). Answers are
cached per (query, filters) and dropped when the projection commits new events.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial

import duckdb

from ironstar.infra.analytics import queries
from ironstar.infra.analytics.cache import QueryCache
from ironstar.infra.analytics.queries import (
    Activity,
    Completion,
    Filters,
    MixRow,
    OwnerRow,
    Summary,
)
from ironstar.infra.analytics.remote import RemoteFormat, remote_events

type Query[T] = Callable[[duckdb.DuckDBPyConnection, Filters, datetime], T]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class AnalyticsService:
    def __init__(
        self,
        cursors: list[duckdb.DuckDBPyConnection],
        cache: QueryCache,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.cache = cache
        self.clock = clock
        self._cursors: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        for cursor in cursors:
            self._cursors.put(cursor)
        self._readers = ThreadPoolExecutor(len(cursors), thread_name_prefix="analytics-reader")
        self.queries_run = 0  # what the single-flight test counts

    async def activity(self, f: Filters) -> Activity:
        return await self._cached("activity", f, queries.activity)

    async def event_mix(self, f: Filters) -> list[MixRow]:
        return await self._cached("event_mix", f, queries.event_mix)

    async def busiest_owners(self, f: Filters) -> list[OwnerRow]:
        return await self._cached("busiest_owners", f, queries.busiest_owners)

    async def completion_times(self, f: Filters) -> Completion:
        return await self._cached("completion_times", f, queries.completion_times)

    async def summary(self, f: Filters) -> Summary:
        return await self._cached("summary", f, queries.summary)

    async def remote_event_mix(
        self, url: str, fmt: RemoteFormat = "parquet", f: Filters | None = None
    ) -> list[MixRow]:
        """The event mix of a remote file with the projection's columns (Parquet/CSV)."""
        return await self._remote(url, fmt, f or Filters(), queries.event_mix)

    async def _remote[T](self, url: str, fmt: RemoteFormat, f: Filters, query: Query[T]) -> T:
        def run() -> T:
            conn = remote_events(url, fmt)
            try:
                return query(conn, f, self.clock())
            finally:
                conn.close()

        key: Hashable = ("remote", url, fmt, query.__name__, f)
        return await self.cache.get(key, lambda: self._in_thread(run))

    async def _cached[T](self, name: str, f: Filters, query: Query[T]) -> T:
        return await self.cache.get((name, f), lambda: self._run(query, f))

    async def _run[T](self, query: Query[T], f: Filters) -> T:
        now = self.clock()

        def run() -> T:
            cursor = self._cursors.get()
            try:
                return query(cursor, f, now)
            finally:
                self._cursors.put(cursor)

        return await self._in_thread(run)

    async def _in_thread[T](self, fn: Callable[[], T]) -> T:
        self.queries_run += 1
        return await asyncio.get_running_loop().run_in_executor(self._readers, partial(fn))

    def close(self) -> None:
        self._readers.shutdown(wait=True)
        while not self._cursors.empty():
            self._cursors.get().close()
