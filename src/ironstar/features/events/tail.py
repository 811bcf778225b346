"""The tail: every stored event after a position, in order, then every new one as it lands.

Subscribe to the bus first, then read: an event committed between the two still wakes
the tail. The bus only says "something past N exists"; the events themselves are read
from the store in batches, so memory stays bounded however far behind a reader is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from ironstar.infra.bus import EventBus
from ironstar.kernel import EventStore, StoredEvent

BATCH = 200


async def tail(
    store: EventStore,
    bus: EventBus,
    *,
    after: int,
    aggregate_type: str | None = None,
    batch: int = BATCH,
) -> AsyncIterator[StoredEvent]:
    """Yield every event with position > `after` (of one aggregate type, if given), forever."""
    async with bus.subscribe() as subscription:
        cursor = after
        while True:
            # Everything committed up to `horizon` is read below; a later commit wakes us.
            horizon = max(bus.position, cursor)
            while True:
                events = await store.read_all(cursor, batch, aggregate_type)
                for event in events:
                    yield event
                if events:
                    cursor = events[-1].position
                if len(events) < batch:
                    break
            await subscription.wait(max(horizon, cursor))
