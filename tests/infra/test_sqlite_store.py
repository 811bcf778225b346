from __future__ import annotations

import asyncio
from contextlib import closing
from pathlib import Path
from typing import Any

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


async def test_a_sequential_callers_append_is_committed_without_a_trip_through_the_loop(
    tmp_path: Path,
) -> None:
    """After a lone append, the next lone append commits before its caller awaits it."""
    store = await SqliteEventStore.open(tmp_path / "e.db")
    await store.append("counter", "a", 0, [new()])  # the writer learns it serves one caller
    ran: list[int] = []
    asyncio.get_running_loop().call_soon(ran.append, 1)
    stored = await store.append("counter", "a", 1, [new()])
    assert ran == []  # the loop did not run in between: the append never yielded
    assert [e.sequence for e in stored] == [2]
    await asyncio.sleep(0)
    assert ran == [1]
    await store.close()


async def test_a_caller_appending_in_a_tight_loop_still_lets_other_tasks_run(
    tmp_path: Path,
) -> None:
    """Commits made before the caller awaits come in streaks of a few milliseconds."""
    store = await SqliteEventStore.open(tmp_path / "e.db")
    for version in range(2):
        await store.append("counter", "a", version, [new()])  # now a sequential caller
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    loop = asyncio.get_running_loop()
    started = loop.time()
    for version in range(2, 300):
        await store.append("counter", "a", version, [new()])
    elapsed = loop.time() - started
    task.cancel()
    # A turn of the ticker at least every 25 ms (a streak: 2 ms, plus a commit or two).
    assert ticks >= max(2, int(elapsed / 0.025))
    await store.close()


async def test_concurrent_appends_after_lone_ones_are_still_committed_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await SqliteEventStore.open(tmp_path / "e.db")
    for version in range(3):
        await store.append("counter", "a", version, [new()])
    transactions: list[int] = []
    writer = store._writer  # counting its transactions
    commit = writer._commit

    def counting(batch: list[Any], **kwargs: bool) -> list[Any]:
        transactions.append(len(batch))
        return commit(batch, **kwargs)

    monkeypatch.setattr(writer, "_commit", counting)
    results = await asyncio.gather(
        *(store.append("counter", f"g{i}", 0, [new()]) for i in range(20))
    )
    assert len(results) == 20
    assert sum(transactions) == 20
    assert len(transactions) <= 2  # the first may go alone; the rest share one transaction
    await store.close()
