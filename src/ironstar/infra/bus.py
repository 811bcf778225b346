"""EventBus: an in-process wake-up, never a carrier of events.

Publishing sets one integer and one `asyncio.Event` per subscriber, so memory stays
bounded however slow a subscriber is; a woken subscriber reads what it missed from
the store after its own position. A crash between commit and publish loses only a
wake-up, never an event (FIELD-NOTES: "the bus is a wake-up").
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class EventBus:
    """Call `publish` from the event loop thread (e.g. as `CommandHandler.on_committed`)."""

    def __init__(self, position: int = 0) -> None:
        self.position = position
        self._subscribers: set[Subscription] = set()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, position: int) -> None:
        if position <= self.position:
            return
        self.position = position
        for subscription in self._subscribers:
            subscription.wake.set()

    def subscribe(self) -> Subscription:
        """Use as `async with bus.subscribe() as sub:`; leaving it unsubscribes."""
        return Subscription(self)

    def _add(self, subscription: Subscription) -> None:
        self._subscribers.add(subscription)

    def _remove(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)


class Subscription:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.wake = asyncio.Event()
        bus._add(self)

    async def wait(self, after: int) -> int:
        """Return the latest published position as soon as it is greater than `after`."""
        while self._bus.position <= after:
            self.wake.clear()
            await self.wake.wait()
        return self._bus.position

    def close(self) -> None:
        self._bus._remove(self)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
