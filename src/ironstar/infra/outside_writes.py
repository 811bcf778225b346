"""Wake the bus for events that other processes append to the store file.

The bus is woken by this process's own commits (`CommandHandler.on_committed`). Another
process writing the same file, say `ironstar seed-demo` or a second server, commits
without telling anyone, so live views would stay stale until the next local command.
This task looks at the file's data version a few times a second (one `PRAGMA` on a
reader connection) and, when it moved, publishes the last position: subscribers then
read what they missed from the store, as after any wake-up. The bus ignores positions
it has already seen, so this process's own commits cost one `MAX(position)` per poll
at most.
"""

from __future__ import annotations

import asyncio

import structlog

from ironstar.infra.bus import EventBus
from ironstar.infra.event_store import SqliteEventStore

log = structlog.get_logger(__name__)


async def wake_on_outside_writes(
    store: SqliteEventStore, bus: EventBus, *, every_seconds: float
) -> None:
    """Runs until cancelled; a failing poll is logged and the next one tried."""
    seen: int | None = None
    while True:
        try:
            version = store.data_version()
            if version != seen:
                seen = version
                bus.publish(await store.last_position())
        except Exception:
            log.exception("outside_writes.poll_failed")
        await asyncio.sleep(every_seconds)
