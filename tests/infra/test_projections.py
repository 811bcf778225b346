from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import apsw
import pytest
from rich.console import Console

from ironstar.infra import EventBus, SqliteEventStore
from ironstar.infra.event_store.connection import scalar
from ironstar.infra.projections import ProjectionRunner, SqliteProjection
from ironstar.infra.rebuild_cli import run_rebuild
from ironstar.kernel import CommandHandler, EventCodec, EventRow, StoredEvent
from tests.kernel.counter import Add, Added, CounterEvent, counter


class Seen:
    """An in-memory projection recording the positions it was fed."""

    def __init__(self, name: str = "seen", types: frozenset[str] | None = None) -> None:
        self.name = name
        self.aggregate_types = types
        self.position = 0
        self.positions: list[int] = []

    def apply(self, event: StoredEvent) -> None:
        self.positions.append(event.position)

    def reset(self) -> None:
        self.positions.clear()
        self.position = 0


class SeenRows(Seen):
    """Takes batches of rows: the runner must never call `apply` on it."""

    def __init__(self, name: str = "rows", types: frozenset[str] | None = None) -> None:
        super().__init__(name, types)
        self.batches: list[list[EventRow]] = []

    def apply(self, event: StoredEvent) -> None:
        raise AssertionError("a row projection is fed rows")

    def apply_rows(self, rows: Sequence[EventRow]) -> None:
        self.batches.append(list(rows))
        self.positions.extend(row[0] for row in rows)


class Totals(SqliteProjection):
    name = "totals"
    aggregate_types = frozenset({"counter"})
    fail_at = -1

    def setup(self, conn: apsw.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS totals (id TEXT PRIMARY KEY, n INTEGER)")

    def handle(self, conn: apsw.Connection, event: StoredEvent) -> None:
        if event.position == self.fail_at:
            raise RuntimeError("boom")
        conn.execute(
            "INSERT INTO totals VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1",
            (event.aggregate_id,),
        )

    def clear(self, conn: apsw.Connection) -> None:
        conn.execute("DELETE FROM totals")

    def count(self) -> int:
        return scalar(self.conn, "SELECT COALESCE(SUM(n), 0) FROM totals")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteEventStore]:
    store = await SqliteEventStore.open(tmp_path / "e.db", durable=False)
    yield store
    await store.close()


async def add(store: SqliteEventStore, bus: EventBus, n: int, aggregate: str = "c") -> None:
    handler = CommandHandler(store, on_committed=bus.publish)
    for _ in range(n):
        await handler.handle(counter, aggregate, Add(1))


async def test_projections_catch_up_at_start_and_then_follow_the_bus(
    store: SqliteEventStore,
) -> None:
    bus, seen = EventBus(), Seen()
    await add(store, bus, 3)
    runner = ProjectionRunner(store, bus, [seen], batch_size=2)
    await runner.start()
    assert seen.positions == [1, 2, 3]
    await add(store, bus, 2)
    async with asyncio.timeout(2):
        await runner.wait_for(5)
    assert seen.positions == [1, 2, 3, 4, 5]
    await runner.stop()


async def test_a_projection_sees_only_its_aggregate_types_but_its_position_advances(
    store: SqliteEventStore,
) -> None:
    bus, other = EventBus(), Seen(types=frozenset({"other"}))
    await add(store, bus, 2)
    runner = ProjectionRunner(store, bus, [other])
    await runner.catch_up()
    assert (other.positions, other.position) == ([], 2)


async def test_a_persistent_projection_resumes_from_its_checkpoint(
    store: SqliteEventStore, tmp_path: Path
) -> None:
    bus = EventBus()
    await add(store, bus, 3)
    totals = Totals(tmp_path / "e.db")
    await ProjectionRunner(store, bus, [totals]).catch_up()
    totals.close()
    await add(store, bus, 2)
    reopened = Totals(tmp_path / "e.db")
    assert reopened.position == 3
    await ProjectionRunner(store, bus, [reopened]).catch_up()
    assert (reopened.count(), reopened.position) == (5, 5)
    reopened.close()


async def test_a_failing_projection_rolls_back_and_does_not_stop_the_others(
    store: SqliteEventStore, tmp_path: Path
) -> None:
    bus, seen = EventBus(), Seen()
    await add(store, bus, 4)
    totals = Totals(tmp_path / "e.db")
    totals.fail_at = 3
    runner = ProjectionRunner(store, bus, [totals, seen], batch_size=2)
    await runner.catch_up()
    assert seen.positions == [1, 2, 3, 4]
    assert (totals.count(), totals.position) == (2, 2)
    assert "totals" in runner.failed
    totals.close()


async def test_rebuild_resets_and_replays_one_projection(store: SqliteEventStore) -> None:
    bus, seen, untouched = EventBus(), Seen(), Seen("untouched")
    await add(store, bus, 3)
    runner = ProjectionRunner(store, bus, [seen, untouched])
    await runner.catch_up()
    stats = await runner.rebuild("seen")
    assert seen.positions == [1, 2, 3]
    assert untouched.positions == [1, 2, 3]
    assert stats.events == 3


async def test_the_rebuild_command_prints_a_throughput_line(tmp_path: Path) -> None:
    store = await SqliteEventStore.open(tmp_path / "e.db")
    await add(store, EventBus(), 5, "x")
    await store.close()
    console = Console(record=True, width=120)
    totals = Totals(tmp_path / "e.db")
    stats = await asyncio.to_thread(run_rebuild, tmp_path / "e.db", [totals], "totals", console)
    assert stats.events == 5
    assert totals.count() == 5
    assert "Rebuilt totals: 5 events" in console.export_text()
    totals.close()


async def test_row_projections_get_whole_batches_of_rows_that_decode_to_the_events(
    store: SqliteEventStore,
) -> None:
    bus, rows = EventBus(), SeenRows()
    await add(store, bus, 5)
    await ProjectionRunner(store, bus, [rows], batch_size=2).catch_up()
    assert [[row[0] for row in batch] for batch in rows.batches] == [[1, 2], [3, 4], [5]]
    codec: EventCodec[CounterEvent] = EventCodec(CounterEvent)
    decoded = codec.decode_event_rows(rows.batches[0])
    assert decoded == [(1, "counter", "c", 1, Added(1)), (2, "counter", "c", 2, Added(1))]
    assert rows.position == 5


async def test_row_and_envelope_projections_share_a_runner_each_from_its_own_position(
    store: SqliteEventStore,
) -> None:
    bus, rows, envelopes = EventBus(), SeenRows(), Seen()
    other = SeenRows("other", types=frozenset({"other"}))
    await add(store, bus, 2)
    runner = ProjectionRunner(store, bus, [rows, envelopes, other], batch_size=3)
    await runner.catch_up()
    await add(store, bus, 3)
    await runner.rebuild("rows")  # back to 0 while the others stay at 2
    assert rows.positions == [1, 2, 3, 4, 5]
    assert envelopes.positions == [1, 2, 3, 4, 5]
    assert (other.positions, other.batches, other.position) == ([], [], 5)


async def test_a_failing_row_projection_is_set_aside_and_the_others_go_on(
    store: SqliteEventStore,
) -> None:
    class Failing(SeenRows):
        def apply_rows(self, rows: Sequence[EventRow]) -> None:
            raise RuntimeError("boom")

    bus, failing, rows = EventBus(), Failing("failing"), SeenRows()
    await add(store, bus, 3)
    runner = ProjectionRunner(store, bus, [failing, rows], batch_size=2)
    await runner.catch_up()
    assert "failing" in runner.failed
    assert (rows.positions, failing.position) == ([1, 2, 3], 0)
