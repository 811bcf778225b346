"""MemoryEventStore: the in-memory adapter, a real implementation used as the test fake."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from ironstar.kernel import (
    ConcurrencyError,
    DuplicateEventError,
    EventRow,
    NewEvent,
    StoreClosedError,
    StoredEvent,
    StreamRow,
    utc_now_iso,
)

type StreamKey = tuple[str, str]


class MemoryEventStore:
    """Same semantics as the SQLite store (one contract suite), nothing survives the process."""

    def __init__(self) -> None:
        self._events: list[StoredEvent] = []
        self._streams: dict[StreamKey, list[StoredEvent]] = {}
        self._by_id: dict[str, StoredEvent] = {}
        self._closed = False

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
    ) -> list[StoredEvent]:
        self._check_open()
        if not events:
            return []
        key = (aggregate_type, aggregate_id)
        repeat = _repeated(self._by_id, key, events)
        if repeat is not None:
            return repeat
        stream = self._streams.setdefault(key, [])
        if len(stream) != expected_version:
            raise ConcurrencyError(aggregate_type, aggregate_id, expected_version, len(stream))
        stored = self._stamp(key, expected_version, events)
        stream.extend(stored)
        self._events.extend(stored)
        self._by_id.update((e.event_id, e) for e in stored)
        return stored

    def _stamp(self, key: StreamKey, version: int, events: Sequence[NewEvent]) -> list[StoredEvent]:
        now, base = utc_now_iso(), len(self._events)
        return [
            StoredEvent(
                position=base + i,
                event_id=e.event_id,
                aggregate_type=key[0],
                aggregate_id=key[1],
                sequence=version + i,
                event_type=e.event_type,
                event_version=e.event_version,
                payload=e.payload,
                metadata=dict(e.metadata),
                created_at=now,
            )
            for i, e in enumerate(events, start=1)
        ]

    async def read_stream(
        self, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> list[StoredEvent]:
        self._check_open()
        return self._streams.get((aggregate_type, aggregate_id), [])[after_sequence:]

    async def read_stream_rows(
        self, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> list[StreamRow]:
        events = await self.read_stream(aggregate_type, aggregate_id, after_sequence)
        return [(e.position, e.sequence, e.event_type, e.event_version, e.payload) for e in events]

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, aggregate_type: str | None = None
    ) -> list[StoredEvent]:
        self._check_open()
        if aggregate_type is None:
            return self._events[after_position : after_position + limit]
        start = bisect_right(self._events, after_position, key=lambda e: e.position)
        matching = (e for e in self._events[start:] if e.aggregate_type == aggregate_type)
        return [e for _, e in zip(range(limit), matching, strict=False)]

    async def read_all_rows(
        self, after_position: int = 0, limit: int = 1000, aggregate_type: str | None = None
    ) -> list[EventRow]:
        events = await self.read_all(after_position, limit, aggregate_type)
        return [
            (e.position, e.aggregate_type, e.aggregate_id, e.sequence, e.event_type,
             e.event_version, e.payload)
            for e in events
        ]  # fmt: skip

    async def read_position(self, position: int) -> StoredEvent | None:
        self._check_open()
        return self._events[position - 1] if 0 < position <= len(self._events) else None

    async def last_position(self) -> int:
        self._check_open()
        return len(self._events)

    async def close(self) -> None:
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError("event store is closed")


def _repeated(
    by_id: dict[str, StoredEvent], key: StreamKey, events: Sequence[NewEvent]
) -> list[StoredEvent] | None:
    """The stored events if this append is a full repeat; raise on a partial overlap."""
    found = [by_id.get(e.event_id) for e in events]
    hits = [e for e in found if e is not None]
    if not hits:
        return None
    if len(hits) == len(events) and all((e.aggregate_type, e.aggregate_id) == key for e in hits):
        return hits
    raise DuplicateEventError(f"event ids already stored elsewhere: {[e.event_id for e in hits]}")
