"""The pure event-sourcing kernel: deciders, envelopes, codec, upcasters, command handling.

Imports only the standard library and msgspec (an import-linter contract keeps it so).
"""

from ironstar.kernel.application import CommandHandler
from ironstar.kernel.codec import EventCodec
from ironstar.kernel.decider import Decider, FunctionDecider, fold
from ironstar.kernel.envelope import DecodedRow, EventRow, NewEvent, StoredEvent, StreamRow
from ironstar.kernel.errors import (
    ConcurrencyError,
    CorruptEventError,
    DomainError,
    DuplicateEventError,
    StoreClosedError,
    UnknownEventError,
    UpcasterChainError,
)
from ironstar.kernel.ids import utc_now_iso, uuid7
from ironstar.kernel.snapshots import MemorySnapshotStore, Snapshot, SnapshotStore
from ironstar.kernel.store import EventStore
from ironstar.kernel.upcasters import Upcaster, Upcasters

__all__ = [
    "CommandHandler",
    "ConcurrencyError",
    "CorruptEventError",
    "Decider",
    "DecodedRow",
    "DomainError",
    "DuplicateEventError",
    "EventCodec",
    "EventRow",
    "EventStore",
    "FunctionDecider",
    "MemorySnapshotStore",
    "NewEvent",
    "Snapshot",
    "SnapshotStore",
    "StoreClosedError",
    "StoredEvent",
    "StreamRow",
    "UnknownEventError",
    "Upcaster",
    "UpcasterChainError",
    "Upcasters",
    "fold",
    "utc_now_iso",
    "uuid7",
]
