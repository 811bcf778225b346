"""Adapters: event stores, bus, projections (wired together in the app factory)."""

from ironstar.infra.bus import EventBus, Subscription
from ironstar.infra.event_store import MemoryEventStore, SqliteEventStore
from ironstar.infra.snapshots import SqliteSnapshotStore

__all__ = [
    "EventBus",
    "MemoryEventStore",
    "SqliteEventStore",
    "SqliteSnapshotStore",
    "Subscription",
]
