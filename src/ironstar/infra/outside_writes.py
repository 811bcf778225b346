"""Wake the bus for events that other processes append to the store.

The bus is woken by this process's own commits (`CommandHandler.on_committed`). Another
process writing the same store, say `ironstar seed-demo` or a second server, commits
without telling anyone, so live views would stay stale until the next local command.
This task looks a few times a second and, when the log grew, publishes its last
position: subscribers then read what they missed from the store, as after any wake-up.
On a SQLite file it first asks the file's data version (one `PRAGMA` on a reader
connection) and reads the last position only when that moved; on another store (say
PostgreSQL) it reads the last position each time (one indexed `MAX`). The bus ignores
positions it has already seen, so this process's own commits cost nothing more.

On PostgreSQL there is no polling: every append transaction notifies the store's channel
with its last position (`PostgresEventStore`), and `wake_on_postgres_notifications`
listens on its own connection, publishing each one as it arrives.
"""

from __future__ import annotations

import asyncio

import structlog

from ironstar.infra.bus import EventBus
from ironstar.infra.event_store import SqliteEventStore
from ironstar.kernel import EventStore

log = structlog.get_logger(__name__)


async def wake_on_outside_writes(store: EventStore, bus: EventBus, *, every_seconds: float) -> None:
    """Runs until cancelled; a failing poll is logged and the next one tried."""
    sqlite = store if isinstance(store, SqliteEventStore) else None
    seen: int | None = None
    while True:
        try:
            if sqlite is None:
                bus.publish(await store.last_position())
            elif (version := sqlite.data_version()) != seen:
                seen = version
                bus.publish(await store.last_position())
        except Exception:
            log.exception("outside_writes.poll_failed")
        await asyncio.sleep(every_seconds)


async def wake_on_postgres_notifications(
    conninfo: str, store: EventStore, bus: EventBus, *, retry_seconds: float = 1.0
) -> None:
    """Runs until cancelled: `LISTEN` for the positions appends commit. After each
    (re)connection the last position is published once, for what committed meanwhile."""
    import psycopg  # the `postgres` extra, present whenever a PostgreSQL store is

    from ironstar.infra.event_store.postgres import CHANNEL

    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                bus.publish(await store.last_position())
                async for note in conn.notifies():
                    if note.payload.isdigit():  # anyone may notify the channel
                        bus.publish(int(note.payload))
        except Exception:
            log.exception("outside_writes.listen_failed")
        await asyncio.sleep(retry_seconds)
