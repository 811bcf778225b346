from __future__ import annotations

import msgspec

from ironstar.infra import MemoryEventStore
from ironstar.kernel import EventStore
from tests.infra.store_contract import StoreContract


class TestMemoryEventStore(StoreContract):
    async def make_store(self) -> EventStore:
        return MemoryEventStore()

    async def corrupt(self, store: EventStore, position: int) -> None:
        assert isinstance(store, MemoryEventStore)
        old = store._events[position - 1]
        store._events[position - 1] = msgspec.structs.replace(old, payload=b"{not json")
