"""DeferredStore: an event store opened by its first call, on the loop that makes it.

The app is built synchronously (`create_app`, before the server's loop runs), but a
network store such as `PostgresEventStore` opens asynchronously, and its connections
belong to the loop that opened them. This wrapper holds the opener and runs it once, on
the first call (the app's start-up asks for the last position first), then hands every
call of the `EventStore` port to the opened store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from ironstar.kernel import (
    EventRow,
    EventStore,
    NewEvent,
    StoreClosedError,
    StoredEvent,
    StreamRow,
)


class DeferredStore:
    """Implements the `EventStore` port by opening `open_store()` on first use."""

    def __init__(self, open_store: Callable[[], Awaitable[EventStore]], *, name: str) -> None:
        self.name = name  # for logs and errors: which store this is (no secrets)
        self._open_store = open_store
        self._store: EventStore | None = None
        self._opening: asyncio.Lock | None = None
        self._closed = False

    async def opened(self) -> EventStore:
        """The store, opened by the first caller; the others wait for it."""
        if self._store is not None:
            return self._store
        if self._closed:
            raise StoreClosedError("event store is closed")
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._store is None:
                self._store = await self._open_store()
        return self._store

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
    ) -> list[StoredEvent]:
        store = self._store or await self.opened()
        return await store.append(aggregate_type, aggregate_id, expected_version, events)

    async def read_stream(
        self, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> list[StoredEvent]:
        store = self._store or await self.opened()
        return await store.read_stream(aggregate_type, aggregate_id, after_sequence)

    async def read_stream_rows(
        self, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> list[StreamRow]:
        store = self._store or await self.opened()
        return await store.read_stream_rows(aggregate_type, aggregate_id, after_sequence)

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, aggregate_type: str | None = None
    ) -> list[StoredEvent]:
        store = self._store or await self.opened()
        return await store.read_all(after_position, limit, aggregate_type)

    async def read_all_rows(
        self, after_position: int = 0, limit: int = 1000, aggregate_type: str | None = None
    ) -> list[EventRow]:
        store = self._store or await self.opened()
        return await store.read_all_rows(after_position, limit, aggregate_type)

    async def read_position(self, position: int) -> StoredEvent | None:
        store = self._store or await self.opened()
        return await store.read_position(position)

    async def last_position(self) -> int:
        store = self._store or await self.opened()
        return await store.last_position()

    async def close(self) -> None:
        """Close the store if it was opened (idempotent); a closed one is never reopened."""
        self._closed = True
        if self._store is not None:
            await self._store.close()
