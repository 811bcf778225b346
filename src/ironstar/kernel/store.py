"""The event store port: what the kernel needs from any append-only log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ironstar.kernel.envelope import EventRow, NewEvent, StoredEvent, StreamRow


class EventStore(Protocol):
    """An append-only log with optimistic concurrency per stream and a global order.

    `append` semantics every adapter honours (the contract suite checks them):
    - `expected_version` is the stream's current last sequence (0 for a new stream);
      a mismatch raises `ConcurrencyError` and writes nothing.
    - Events get `sequence` expected_version+1.. and gapless, increasing `position`s.
    - Idempotency: if *every* `event_id` of the call is already stored in this stream,
      the call is a retry of a committed append and returns those stored events
      (whatever `expected_version` says). A partial overlap, or ids stored in another
      stream, raise `DuplicateEventError` and write nothing.
    """

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
    ) -> list[StoredEvent]: ...

    async def read_stream(
        self, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> list[StoredEvent]: ...

    async def read_stream_rows(
        self, aggregate_type: str, aggregate_id: str, after_sequence: int = 0
    ) -> list[StreamRow]:
        """The same events as `read_stream`, as bare tuples (the replay hot path)."""
        ...

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, aggregate_type: str | None = None
    ) -> list[StoredEvent]: ...

    async def read_all_rows(
        self, after_position: int = 0, limit: int = 1000, aggregate_type: str | None = None
    ) -> list[EventRow]:
        """The same events as `read_all`, as bare tuples (the catch-up hot path: no
        event id, metadata or timestamp, no envelopes)."""
        ...

    async def read_position(self, position: int) -> StoredEvent | None: ...

    async def last_position(self) -> int: ...

    async def close(self) -> None: ...
