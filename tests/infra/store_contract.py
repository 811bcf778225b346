"""The EventStore contract: every adapter subclasses `StoreContract` and passes it whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ironstar.kernel import (
    ConcurrencyError,
    CorruptEventError,
    DuplicateEventError,
    EventCodec,
    EventStore,
    NewEvent,
    StoreClosedError,
    uuid7,
)
from tests.kernel.counter import Added, CounterEvent


def new(n: int = 1, event_id: str | None = None) -> NewEvent:
    return NewEvent(
        event_id=event_id or uuid7(),
        event_type="Added",
        event_version=1,
        payload=b'{"type":"Added","amount":%d}' % n,
        metadata={"correlation_id": "c1"},
    )


class StoreContract:
    async def make_store(self) -> EventStore:
        raise NotImplementedError

    async def corrupt(self, store: EventStore, position: int) -> None:
        raise NotImplementedError

    @pytest.fixture
    async def store(self) -> AsyncIterator[EventStore]:
        store = await self.make_store()
        yield store
        await store.close()

    async def test_appended_events_are_read_back_from_their_stream(self, store: EventStore) -> None:
        stored = await store.append("counter", "a", 0, [new(1), new(2)])
        assert [e.sequence for e in stored] == [1, 2]
        read = await store.read_stream("counter", "a")
        assert read == stored
        assert read[0].metadata == {"correlation_id": "c1"}
        assert read[0].payload == b'{"type":"Added","amount":1}'
        assert read[0].created_at.endswith("+00:00")

    async def test_stream_rows_match_the_stream_envelopes(self, store: EventStore) -> None:
        await store.append("counter", "a", 0, [new(1), new(2), new(3)])
        await store.append("counter", "b", 0, [new(4)])
        envelopes = await store.read_stream("counter", "a", 1)
        rows = await store.read_stream_rows("counter", "a", 1)
        assert rows == [
            (e.position, e.sequence, e.event_type, e.event_version, e.payload) for e in envelopes
        ]
        assert await store.read_stream_rows("counter", "nope") == []

    async def test_appends_in_one_loop_iteration_commit_together_and_alone(
        self, store: EventStore
    ) -> None:
        together = await asyncio.gather(
            *(store.append("counter", f"g{i}", 0, [new()]) for i in range(5))
        )
        alone = await store.append("counter", "solo", 0, [new()])
        positions = sorted(e.position for batch in [*together, alone] for e in batch)
        assert positions == list(range(1, 7))

    async def test_close_commits_appends_made_just_before_it(self, store: EventStore) -> None:
        pending = [
            asyncio.ensure_future(store.append("counter", f"c{i}", 0, [new()])) for i in range(3)
        ]
        await asyncio.sleep(0)  # the appends are submitted, not yet committed
        await store.close()
        results = await asyncio.gather(*pending, return_exceptions=True)
        assert all(isinstance(r, list) for r in results)

    async def test_read_stream_after_a_sequence_returns_only_later_events(
        self, store: EventStore
    ) -> None:
        await store.append("counter", "a", 0, [new(1), new(2), new(3)])
        assert [e.sequence for e in await store.read_stream("counter", "a", 2)] == [3]
        assert await store.read_stream("counter", "nope") == []

    async def test_a_wrong_expected_version_raises_and_writes_nothing(
        self, store: EventStore
    ) -> None:
        await store.append("counter", "a", 0, [new()])
        with pytest.raises(ConcurrencyError) as caught:
            await store.append("counter", "a", 0, [new()])
        assert (caught.value.expected, caught.value.actual) == (0, 1)
        with pytest.raises(ConcurrencyError):
            await store.append("counter", "a", 5, [new()])
        assert await store.last_position() == 1

    async def test_repeating_a_committed_append_returns_the_stored_events(
        self, store: EventStore
    ) -> None:
        events = [new(1), new(2)]
        first = await store.append("counter", "a", 0, events)
        again = await store.append("counter", "a", 0, events)
        assert again == first
        assert await store.last_position() == 2

    async def test_a_partial_repeat_of_event_ids_is_refused(self, store: EventStore) -> None:
        done = new(1)
        await store.append("counter", "a", 0, [done])
        with pytest.raises(DuplicateEventError):
            await store.append("counter", "a", 1, [done, new(2)])
        with pytest.raises(DuplicateEventError):
            await store.append("counter", "b", 0, [done])
        assert await store.last_position() == 1

    async def test_positions_are_gapless_and_increasing_across_streams(
        self, store: EventStore
    ) -> None:
        for i in range(5):
            await store.append("counter", f"s{i}", 0, [new(), new()])
        everything = await store.read_all()
        assert [e.position for e in everything] == list(range(1, 11))
        assert await store.last_position() == 10
        assert await store.read_position(3) == everything[2]
        assert await store.read_position(99) is None

    async def test_sixty_four_concurrent_writers_on_one_aggregate_lose_nothing(
        self, store: EventStore
    ) -> None:
        async def writer(n: int) -> int:
            while True:
                version = len(await store.read_stream("counter", "hot"))
                try:
                    await store.append("counter", "hot", version, [new(n)])
                    return n
                except ConcurrencyError:
                    await asyncio.sleep(0)

        done = await asyncio.gather(*(writer(n) for n in range(64)))
        stream = await store.read_stream("counter", "hot")
        assert sorted(done) == list(range(64))
        assert [e.sequence for e in stream] == list(range(1, 65))
        assert [e.position for e in stream] == list(range(1, 65))
        assert len({e.payload for e in stream}) == 64

    async def test_concurrent_writers_on_many_aggregates_all_commit(
        self, store: EventStore
    ) -> None:
        results = await asyncio.gather(
            *(store.append("counter", f"agg{n}", 0, [new(n)]) for n in range(200))
        )
        positions = sorted(r[0].position for r in results)
        assert positions == list(range(1, 201))

    async def test_a_conflict_in_a_group_fails_only_its_own_caller(self, store: EventStore) -> None:
        await store.append("counter", "a", 0, [new()])
        results = await asyncio.gather(
            store.append("counter", "b", 0, [new()]),
            store.append("counter", "a", 0, [new()]),
            store.append("counter", "c", 0, [new()]),
            return_exceptions=True,
        )
        assert isinstance(results[1], ConcurrencyError)
        assert not isinstance(results[0], BaseException)
        assert not isinstance(results[2], BaseException)
        assert await store.last_position() == 3

    async def test_read_all_pages_through_events_in_batches(self, store: EventStore) -> None:
        for i in range(25):
            await store.append("counter", f"s{i}", 0, [new()])
        seen: list[int] = []
        after = 0
        while batch := await store.read_all(after, limit=10):
            seen.extend(e.position for e in batch)
            after = batch[-1].position
        assert seen == list(range(1, 26))

    async def test_read_all_filters_by_aggregate_type(self, store: EventStore) -> None:
        for i in range(6):
            await store.append("counter" if i % 2 else "other", f"s{i}", 0, [new()])
        counters = await store.read_all(aggregate_type="counter")
        assert [e.position for e in counters] == [2, 4, 6]
        assert [e.position for e in await store.read_all(2, 1, "counter")] == [4]

    async def test_a_corrupt_payload_names_its_position_and_the_store_stays_readable(
        self, store: EventStore
    ) -> None:
        for i in range(3):
            await store.append("counter", f"s{i}", 0, [new()])
        await self.corrupt(store, 2)
        codec: EventCodec[CounterEvent] = EventCodec(CounterEvent)
        events = await store.read_all()
        assert codec.decode(events[0]) == Added(amount=1)
        with pytest.raises(CorruptEventError) as caught:
            codec.decode(events[1])
        assert caught.value.position == 2
        assert codec.decode(events[2]) == Added(amount=1)

    async def test_appends_keep_working_after_a_failed_append(self, store: EventStore) -> None:
        done = new()
        await store.append("counter", "a", 0, [done])
        with pytest.raises(DuplicateEventError):
            await store.append("counter", "b", 0, [new(), done])
        stored = await store.append("counter", "b", 0, [new()])
        assert stored[0].position == 2

    async def test_a_closed_store_refuses_appends_and_reads(self, store: EventStore) -> None:
        await store.append("counter", "a", 0, [new()])
        await store.close()
        await store.close()  # idempotent
        with pytest.raises(StoreClosedError):
            await store.append("counter", "a", 1, [new()])
        with pytest.raises(StoreClosedError):
            await store.read_all()

    async def test_appending_no_events_is_a_no_op(self, store: EventStore) -> None:
        assert await store.append("counter", "a", 0, []) == []
        assert await store.last_position() == 0

    async def test_rows_match_the_envelopes_of_read_all(self, store: EventStore) -> None:
        for i in range(7):
            await store.append("counter" if i % 2 else "other", f"s{i}", 0, [new(i), new(i)])
        for after, limit, kind in [
            (0, 1000, None),
            (3, 5, None),
            (0, 3, "counter"),
            (9, 99, "other"),
        ]:
            envelopes = await store.read_all(after, limit, kind)
            rows = await store.read_all_rows(after, limit, kind)
            assert rows == [
                (e.position, e.aggregate_type, e.aggregate_id, e.sequence, e.event_type,
                 e.event_version, e.payload)
                for e in envelopes
            ]  # fmt: skip
            assert rows
        assert await store.read_all_rows(14) == []
        await store.close()
        with pytest.raises(StoreClosedError):
            await store.read_all_rows()
