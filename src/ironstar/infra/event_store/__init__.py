"""Event store adapters: in-memory and SQLite, behind the kernel's `EventStore` port."""

from ironstar.infra.event_store.memory import MemoryEventStore
from ironstar.infra.event_store.sqlite import SqliteEventStore

__all__ = ["MemoryEventStore", "SqliteEventStore"]
