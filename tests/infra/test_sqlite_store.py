from __future__ import annotations

import asyncio
from contextlib import closing
from pathlib import Path

import apsw
import pytest

from ironstar.infra import SqliteEventStore
from ironstar.kernel import EventStore
from tests.infra.store_contract import StoreContract, new


class TestSqliteEventStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path: Path) -> None:
        self.path = tmp_path / "events.db"

    async def make_store(self) -> EventStore:
        return await SqliteEventStore.open(self.path)

    async def corrupt(self, store: EventStore, position: int) -> None:
        with closing(apsw.Connection(str(self.path))) as conn:
            conn.execute("UPDATE events SET payload = '{not json' WHERE position = ?", (position,))


async def test_events_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    store = await SqliteEventStore.open(tmp_path / "e.db")
    stored = await store.append("counter", "a", 0, [new(1), new(2)])
    await store.close()
    reopened = await SqliteEventStore.open(tmp_path / "e.db")
    assert await reopened.read_stream("counter", "a") == stored
    await reopened.close()


async def test_positions_are_never_reused_after_the_last_event_is_deleted(tmp_path: Path) -> None:
    store = await SqliteEventStore.open(tmp_path / "e.db")
    await store.append("counter", "a", 0, [new(), new()])
    with closing(apsw.Connection(str(tmp_path / "e.db"))) as conn:
        conn.execute("DELETE FROM events WHERE position = 2")
    stored = await store.append("counter", "b", 0, [new()])
    assert stored[0].position == 3
    await store.close()


async def test_the_store_shares_its_file_with_other_tables(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    with closing(apsw.Connection(str(path))) as conn:
        conn.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY)")
    store = await SqliteEventStore.open(path)
    assert store.path == path
    await store.append("counter", "a", 0, [new()])
    await store.close()


async def test_a_write_lock_held_elsewhere_never_blocks_the_event_loop(tmp_path: Path) -> None:
    """A lone append would commit on the loop thread; if another connection holds the
    write lock it goes to the writer thread instead, and the loop keeps running."""
    store = await SqliteEventStore.open(tmp_path / "e.db")
    with closing(apsw.Connection(str(tmp_path / "e.db"))) as other:
        other.execute("BEGIN IMMEDIATE")
        append = asyncio.ensure_future(store.append("counter", "a", 0, [new()]))
        started = asyncio.get_running_loop().time()
        await asyncio.sleep(0.1)
        assert asyncio.get_running_loop().time() - started < 0.5  # the loop was not stuck
        assert not append.done()
        other.execute("COMMIT")
        stored = await append
    assert [e.sequence for e in stored] == [1]
    await store.close()


async def test_appends_of_any_length_are_stored_whole_and_in_order(tmp_path: Path) -> None:
    """Short and long appends take different INSERT paths (multi-row chunks of powers
    of two, then the rest); a batch mixes both."""
    store = await SqliteEventStore.open(tmp_path / "e.db")
    lengths = [1, 7, 8, 9, 100, 131, 300]
    results = await asyncio.gather(
        *(store.append("counter", f"s{n}", 0, [new(i) for i in range(n)]) for n in lengths)
    )
    for n, stored in zip(lengths, results, strict=True):
        assert await store.read_stream("counter", f"s{n}") == stored
        assert [e.sequence for e in stored] == list(range(1, n + 1))
        assert [e.payload for e in stored] == [new(i).payload for i in range(n)]
    everything = await store.read_all(limit=10_000)
    assert [e.position for e in everything] == list(range(1, sum(lengths) + 1))
    await store.close()
