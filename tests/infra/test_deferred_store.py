"""`DeferredStore` honours the whole store contract, opening its store on first use."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from ironstar.infra import MemoryEventStore
from ironstar.infra.event_store.deferred import DeferredStore
from ironstar.kernel import EventStore, StoreClosedError
from tests.infra.store_contract import StoreContract, new


async def open_memory() -> EventStore:
    await asyncio.sleep(0)  # an opener that awaits, like a network store's
    return MemoryEventStore()


class TestDeferredStore(StoreContract):
    async def make_store(self) -> EventStore:
        return DeferredStore(open_memory, name="memory")

    async def corrupt(self, store: EventStore, position: int) -> None:
        assert isinstance(store, DeferredStore)
        inner = await store.opened()
        assert isinstance(inner, MemoryEventStore)
        old = inner._events[position - 1]
        inner._events[position - 1] = msgspec.structs.replace(old, payload=b"{not json")


async def test_concurrent_first_calls_open_the_store_once() -> None:
    opened: list[MemoryEventStore] = []

    async def opener() -> EventStore:
        await asyncio.sleep(0.01)
        opened.append(MemoryEventStore())
        return opened[-1]

    store = DeferredStore(opener, name="memory")
    results = await asyncio.gather(*(store.append("c", f"s{i}", 0, [new()]) for i in range(5)))
    assert len(opened) == 1
    assert sorted(e.position for batch in results for e in batch) == [1, 2, 3, 4, 5]
    await store.close()


async def test_a_store_closed_before_it_was_opened_is_never_opened() -> None:
    opened: list[int] = []

    async def opener() -> EventStore:
        opened.append(1)
        return MemoryEventStore()

    store = DeferredStore(opener, name="memory")
    await store.close()
    with pytest.raises(StoreClosedError):
        await store.last_position()
    assert opened == []
