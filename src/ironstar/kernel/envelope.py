"""The event envelope: what goes into the store and what comes back out."""

from __future__ import annotations

import msgspec


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event to append; the store assigns position, sequence and timestamp."""

    event_id: str
    event_type: str
    event_version: int
    payload: bytes  # raw JSON
    metadata: dict[str, str] = msgspec.field(default_factory=dict)


type StreamRow = tuple[int, int, str, int, bytes]
"""(position, sequence, event_type, event_version, payload): what a replay needs."""

type EventRow = tuple[int, str, str, int, str, int, bytes]
"""(position, aggregate_type, aggregate_id, sequence, event_type, event_version, payload):
what a catch-up needs; `read_all_rows` returns these as the driver built them."""

type DecodedRow[E] = tuple[int, str, str, int, E]
"""(position, aggregate_type, aggregate_id, sequence, event): an `EventRow` decoded by
`EventCodec.decode_event_rows`, for projections that take whole batches."""


class StoredEvent(msgspec.Struct, frozen=True):
    """A committed event; `position` is the global order (and the SSE `id:`).

    Positional fields in this order (adapters build millions of these per second).
    """

    position: int
    event_id: str
    aggregate_type: str
    aggregate_id: str
    sequence: int
    event_type: str
    event_version: int
    payload: bytes  # raw JSON, decoded lazily by an EventCodec
    metadata: dict[str, str]
    created_at: str  # ISO-8601 UTC

    def row(self) -> EventRow:
        """This event as a catch-up row, what `read_all_rows` returns for it."""
        return (
            self.position, self.aggregate_type, self.aggregate_id, self.sequence,
            self.event_type, self.event_version, self.payload,
        )  # fmt: skip
