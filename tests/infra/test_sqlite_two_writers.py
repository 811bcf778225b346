"""Two writers on one file (two stores, as two processes would have): the writer's
memory of stream versions and positions must never let a stale guess through."""

from __future__ import annotations

import asyncio
from contextlib import closing
from pathlib import Path

import apsw
import pytest

from ironstar.infra import SqliteEventStore
from ironstar.infra.event_store._writer import Writer
from ironstar.kernel import ConcurrencyError
from tests.infra.store_contract import new


async def _check_one_stream_and_positions(store: SqliteEventStore, stream: str) -> None:
    events = await store.read_all(limit=10_000)
    assert [e.position for e in events] == list(range(1, len(events) + 1))
    mine = [e.sequence for e in events if e.aggregate_id == stream]
    assert mine == list(range(1, len(mine) + 1))


async def test_each_store_sees_what_the_other_appended_without_a_failed_batch(
    pair: tuple[SqliteEventStore, SqliteEventStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`PRAGMA data_version` warns a writer that the other one wrote, so its guesses
    are dropped before they can collide (no batch rolled back and retried alone)."""
    alone: list[object] = []
    monkeypatch.setattr(Writer, "_alone", lambda self, request: alone.append(request))
    one, two = pair
    await one.append("counter", "a", 0, [new()])
    assert [e.position for e in await two.append("counter", "a", 1, [new()])] == [2]
    with pytest.raises(ConcurrencyError) as caught:
        await one.append("counter", "a", 1, [new()])  # `one` last wrote version 1
    assert caught.value.actual == 2
    stored = await one.append("counter", "a", 2, [new(), new()])
    assert [(e.sequence, e.position) for e in stored] == [(3, 3), (4, 4)]
    assert [e.position for e in await two.append("counter", "b", 0, [new()])] == [5]
    assert [e.position for e in await one.append("counter", "c", 0, [new()])] == [6]
    assert alone == []
    await _check_one_stream_and_positions(one, "a")


async def test_a_repeat_of_an_append_made_by_the_other_store_returns_its_events(
    pair: tuple[SqliteEventStore, SqliteEventStore],
) -> None:
    one, two = pair
    events = [new(1), new(2)]
    first = await one.append("counter", "a", 0, events)
    assert await two.append("counter", "a", 0, events) == first


async def test_rows_inserted_by_another_connection_are_noticed(tmp_path: Path) -> None:
    store = await SqliteEventStore.open(tmp_path / "e.db")
    await store.append("counter", "a", 0, [new()])
    with closing(apsw.Connection(str(tmp_path / "e.db"))) as other:
        other.execute(
            "INSERT INTO events (event_id, aggregate_type, aggregate_id, sequence, event_type,"
            " event_version, payload, created_at) VALUES ('x', 'counter', 'a', 2, 'Added', 1,"
            " '{}', 'now')"
        )
    with pytest.raises(ConcurrencyError):
        await store.append("counter", "a", 1, [new()])
    stored = await store.append("counter", "a", 2, [new()])
    assert [(e.sequence, e.position) for e in stored] == [(3, 3)]
    await store.close()


async def test_a_stale_memory_is_caught_by_the_constraints_even_unwarned(
    pair: tuple[SqliteEventStore, SqliteEventStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without `PRAGMA data_version` a writer would not know the other one wrote: its
    guess of the next position and sequence collides, and it retries on fresh reads."""

    def never_warned(self: Writer) -> None:
        if self._position is None:
            self._position = self._last_position()

    monkeypatch.setattr(Writer, "_check_others", never_warned)
    one, two = pair
    await one.append("counter", "a", 0, [new()])
    await two.append("counter", "a", 1, [new()])
    await two.append("counter", "b", 0, [new()])
    stored = await one.append("counter", "a", 2, [new()])  # `one` remembers version 1
    assert [(e.sequence, e.position) for e in stored] == [(3, 4)]
    await two.append("counter", "a", 3, [new()])
    with pytest.raises(ConcurrencyError):
        await one.append("counter", "a", 3, [new()])  # `one` remembers version 3
    assert [e.position for e in await one.append("counter", "c", 0, [new()])] == [6]
    await _check_one_stream_and_positions(two, "a")


async def test_two_stores_with_many_writers_on_one_aggregate_lose_nothing(
    pair: tuple[SqliteEventStore, SqliteEventStore],
) -> None:
    async def writer(store: SqliteEventStore, n: int) -> None:
        while True:
            version = len(await store.read_stream("counter", "hot"))
            try:
                await store.append("counter", "hot", version, [new(n)])
                return
            except ConcurrencyError:
                await asyncio.sleep(0)

    one, two = pair
    await asyncio.gather(*(writer(pair[n % 2], n) for n in range(64)))
    stream = await two.read_stream("counter", "hot")
    assert [e.sequence for e in stream] == list(range(1, 65))
    assert len({e.payload for e in stream}) == 64
    await _check_one_stream_and_positions(one, "hot")


async def test_starting_a_stream_the_writer_does_not_know_is_checked_by_the_constraint(
    tmp_path: Path,
) -> None:
    """A fresh writer knows no stream: an append expecting version 0 is taken to start a
    new stream without a `SELECT`. When the stream exists after all, the `UNIQUE`
    constraint on its first sequence stops the batch, each request is retried alone on
    fresh reads: the stale one fails with the actual version, a repeat returns the
    stored events, the others commit."""
    first = await SqliteEventStore.open(tmp_path / "e.db")
    events = [new(1), new(2)]
    stored = await first.append("counter", "a", 0, events)
    await first.close()
    store = await SqliteEventStore.open(tmp_path / "e.db")
    results = await asyncio.gather(
        store.append("counter", "b", 0, [new()]),
        store.append("counter", "a", 0, [new()]),
        store.append("counter", "a", 0, events),
        store.append("counter", "c", 0, [new()]),
        return_exceptions=True,
    )
    assert isinstance(results[1], ConcurrencyError)
    assert (results[1].expected, results[1].actual) == (0, 2)
    assert results[2] == stored
    assert [[e.position for e in r] for r in (results[0], results[3]) if isinstance(r, list)] == [
        [3],
        [4],
    ]
    await _check_one_stream_and_positions(store, "a")
    await store.close()
