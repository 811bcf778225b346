"""Stored events → newline-delimited JSON for DuckDB's bulk JSON reader.

The payload is already JSON, so it is spliced in as `msgspec.Raw` (never decoded here);
only a payload written over several lines is compacted first, since each row must be one
line. Short keys keep the file small. No numpy or Arrow needed.

The time is the event's `occurred_at` metadata when present (demo data and imports carry
the time the thing happened), else the store's `created_at`.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from ironstar.infra.analytics._schema import OCCURRED_AT
from ironstar.kernel import StoredEvent

__all__ = ["OCCURRED_AT", "encode_batch"]


class _Row(msgspec.Struct, array_like=False):
    p: int
    t: str
    a: str
    e: str
    c: str
    j: msgspec.Raw


_encode_lines = msgspec.json.Encoder().encode_lines


def encode_batch(events: Sequence[StoredEvent]) -> bytes:
    return _encode_lines(
        [
            _Row(
                e.position,
                e.aggregate_type,
                e.aggregate_id,
                e.event_type,
                e.metadata.get(OCCURRED_AT) or e.created_at,
                msgspec.Raw(_one_line(e.payload)),
            )
            for e in events
        ]
    )


def _one_line(payload: bytes) -> bytes:
    return msgspec.json.format(payload, indent=-1) if b"\n" in payload else payload
