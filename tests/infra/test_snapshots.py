from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import apsw
import pytest

from ironstar.infra import SqliteEventStore, SqliteSnapshotStore
from ironstar.infra.event_store.connection import open_connection, pragma
from ironstar.infra.snapshots import SCHEMA
from ironstar.kernel import CommandHandler, SnapshotStore, StoreClosedError
from tests.kernel.counter import Add, CounterState, counter
from tests.kernel.snapshot_contract import SnapshotContract, snap


class TestSqliteSnapshotStore(SnapshotContract):
    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path: Path) -> None:
        self.path = tmp_path / "events.db"

    async def make_store(self) -> SnapshotStore:
        return SqliteSnapshotStore(self.path)


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[apsw.Connection]:
    """Another connection holding the file's write lock, with an upsert not yet committed."""
    with closing(open_connection(tmp_path / "e.db")) as conn:
        pragma(conn, "journal_mode = WAL")
        conn.execute(SCHEMA)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO snapshots VALUES ('counter', 'c', 1, 99, x'7b7d', 'uncommitted')")
        yield conn


async def test_snapshots_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    store = SqliteSnapshotStore(tmp_path / "e.db")
    await store.put(snap(5, b'{"total":5,"closed":false}'))
    await store.close()
    reopened = SqliteSnapshotStore(tmp_path / "e.db")
    assert await reopened.get("counter", "c") == snap(5, b'{"total":5,"closed":false}')
    await reopened.close()


async def test_snapshots_share_the_file_with_the_events(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    events, snapshots = await SqliteEventStore.open(path), SqliteSnapshotStore(path)
    handler = CommandHandler(events, snapshots=snapshots, snapshot_every=2)
    for _ in range(5):
        await handler.handle(counter, "c", Add(1))
    await events.close()
    await snapshots.close()
    with closing(open_connection(path)) as conn:
        rows = conn.execute(
            "SELECT aggregate_type, aggregate_id, decider_version, sequence, CAST(state AS TEXT)"
            " FROM snapshots"
        ).fetchall()
    assert rows == [("counter", "c", 1, 4, '{"total":4,"closed":false}')]
    events, snapshots = await SqliteEventStore.open(path), SqliteSnapshotStore(path)
    assert await CommandHandler(events, snapshots=snapshots).load(counter, "c") == (
        CounterState(total=5),
        5,
    )
    await events.close()
    await snapshots.close()


async def test_a_put_waits_for_the_write_lock_off_the_event_loop(
    tmp_path: Path, locked: apsw.Connection
) -> None:
    store = SqliteSnapshotStore(tmp_path / "e.db", busy_timeout_ms=10_000)
    put = asyncio.create_task(store.put(snap(100)))
    for _ in range(20):  # the loop keeps running while the put waits for the lock
        await asyncio.sleep(0)
    assert not put.done()
    assert await store.get("counter", "c") is None  # reads never wait for the writer
    locked.execute("COMMIT")
    await put
    assert await store.get("counter", "c") == snap(100)
    await store.close()


async def test_a_put_that_cannot_get_the_lock_in_time_is_dropped(
    tmp_path: Path, locked: apsw.Connection
) -> None:
    store = SqliteSnapshotStore(tmp_path / "e.db", busy_timeout_ms=0)
    await store.put(snap(100))  # no error: the command that wrote it has committed
    locked.execute("ROLLBACK")
    assert await store.get("counter", "c") is None
    await store.put(snap(101))
    assert await store.get("counter", "c") == snap(101)
    await store.close()


async def test_a_closed_store_refuses_reads_and_writes(tmp_path: Path) -> None:
    store = SqliteSnapshotStore(tmp_path / "e.db")
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(StoreClosedError):
        await store.get("counter", "c")
    with pytest.raises(StoreClosedError):
        await store.put(snap(1))
