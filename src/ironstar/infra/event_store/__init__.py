"""Event store adapters behind the kernel's `EventStore` port: in-memory, SQLite and
PostgreSQL (the last imported on first use: psycopg comes with the `postgres` extra)."""

from typing import TYPE_CHECKING

from ironstar.infra.event_store.memory import MemoryEventStore
from ironstar.infra.event_store.sqlite import SqliteEventStore

if TYPE_CHECKING:
    from ironstar.infra.event_store.postgres import PostgresEventStore

__all__ = ["MemoryEventStore", "PostgresEventStore", "SqliteEventStore"]


def __getattr__(name: str) -> object:
    if name == "PostgresEventStore":
        from ironstar.infra.event_store.postgres import PostgresEventStore

        return PostgresEventStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
