"""The SQLite fast path and the generic `EventStore` path load identical rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from ironstar.infra.analytics import AnalyticsFollower, AnalyticsProjection
from ironstar.infra.analytics.source import SqliteSource
from ironstar.infra.event_store import MemoryEventStore, SqliteEventStore
from ironstar.kernel import EventStore, NewEvent


def new(i: int, kind: str, payload: dict[str, Any], meta: dict[str, str]) -> NewEvent:
    body = msgspec.json.encode(payload)
    return NewEvent(event_id=f"e{i}", event_type=kind, event_version=1, payload=body, metadata=meta)


AT = "2026-01-02T03:04:05+00:00"
BATCHES = [
    ("a", [new(1, "TodoAdded", {"todo_id": "t1", "text": "héllo \"quoted\"\n"}, {})]),
    ("b", [new(2, "TodoAdded", {"todo_id": "t2", "text": "x"}, {"occurred_at": AT})]),
    ("a", [new(3, "TodoCompleted", {"todo_id": "t1"}, {"command": "CompleteTodo"})]),
    ("a", [new(4, "CompletedCleared", {"todo_ids": ["t1", "t9"]}, {})]),
]  # fmt: skip


async def load(
    tmp: Path, store: Any, name: str, scan_threshold: int = 200_000
) -> list[tuple[Any, ...]]:
    versions: dict[str, int] = {}
    for owner, events in BATCHES:
        await store.append("todo_list", owner, versions.get(owner, 0), events)
        versions[owner] = versions.get(owner, 0) + len(events)
    projection = AnalyticsProjection(tmp / f"{name}.duckdb")
    follower = AnalyticsFollower(projection, store, batch_size=2, scan_threshold=scan_threshold)
    assert await follower.catch_up() == 4
    rows = follower.projection.conn.execute(
        "SELECT position, aggregate_type, aggregate_id, event_type, todo_id, text_length,"
        " item_count, todo_key, created_at = TIMESTAMP '2026-01-02 03:04:05'"
        " FROM events ORDER BY position"
    ).fetchall()
    rows += follower.projection.conn.execute(
        "SELECT todo_key, owner, added_at IS NOT NULL, done_at >= added_at"
        " FROM todos ORDER BY todo_key"
    ).fetchall()
    await follower.close()
    return rows


async def test_both_sources_produce_the_same_rows(tmp_path: Path) -> None:
    sqlite_store = await SqliteEventStore.open(tmp_path / "s.sqlite3")
    try:
        fast = await load(tmp_path, sqlite_store, "fast")
    finally:
        await sqlite_store.close()
    generic = await load(tmp_path, MemoryEventStore(), "generic")
    assert fast == generic
    scanned_store = await SqliteEventStore.open(tmp_path / "scan.sqlite3")
    try:  # a big gap: DuckDB's sqlite_scanner reads the file (a rebuild's path)
        scanned = await load(tmp_path, scanned_store, "scanned", scan_threshold=1)
    finally:
        await scanned_store.close()
    assert scanned == fast
    assert fast[0][5] == len('héllo "quoted"\n')  # text length survives both encoders
    assert fast[0][7] == fast[2][7] != fast[1][7]  # one grouping key per (owner, todo)
    assert [r[-1] for r in fast[:4]] == [False, True, False, False]  # occurred_at wins
    assert fast[3][6] == 2  # CompletedCleared touches two todos
    assert len(fast) == 4 + 2  # todos t1 (added, completed) and t2 (added)


async def test_a_payload_stored_over_several_lines_loads_as_one_row(tmp_path: Path) -> None:
    pretty = b'{\n  "todo_id": "t1",\n  "text": "two\\nlines"\n}'
    event = NewEvent(event_id="e1", event_type="TodoAdded", event_version=1, payload=pretty)
    rows = []
    stores: list[tuple[str, EventStore]] = [
        ("fast", await SqliteEventStore.open(tmp_path / "s.sqlite3")),
        ("generic", MemoryEventStore()),
    ]
    for name, store in stores:
        await store.append("todo_list", "a", 0, [event])
        follower = AnalyticsFollower(AnalyticsProjection(tmp_path / f"{name}.duckdb"), store)
        assert await follower.catch_up() == 1
        sql = "SELECT position, todo_id, text_length FROM events"
        rows.append(follower.projection.conn.execute(sql).fetchall())
        await follower.close()
        if isinstance(store, SqliteEventStore):
            await store.close()
    assert rows[0] == rows[1] == [(1, "t1", len("two\nlines"))]


async def test_the_follower_picks_the_sqlite_source_for_a_sqlite_store(tmp_path: Path) -> None:
    store = await SqliteEventStore.open(tmp_path / "s.sqlite3")
    follower = AnalyticsFollower(AnalyticsProjection(tmp_path / "a.duckdb"), store)
    assert isinstance(follower.source, SqliteSource)
    await follower.close()
    await store.close()


async def test_a_rebuild_scans_sqlite_then_follows_by_batches(tmp_path: Path) -> None:
    store = await SqliteEventStore.open(tmp_path / "s.sqlite3")
    try:
        for i in range(30):
            await store.append("todo_list", "o", i, [new(i, "TodoAdded", {"todo_id": f"t{i}"}, {})])
        projection = AnalyticsProjection(tmp_path / "a.duckdb")
        follower = AnalyticsFollower(projection, store, batch_size=4, scan_threshold=10)
        progress: list[tuple[int, int]] = []
        assert await follower.rebuild(lambda done, total: progress.append((done, total)))
        assert progress[0] == (30, 30)  # one scanner statement for the whole gap
        for i in range(30, 35):  # small gaps: the NDJSON path
            await store.append("todo_list", "o", i, [new(i, "TodoAdded", {"todo_id": f"t{i}"}, {})])
        assert await follower.catch_up() == 5
        assert projection.count() == 35 == follower.position
        await follower.close()
    finally:
        await store.close()


async def test_a_batch_read_in_chunks_is_one_transaction(tmp_path: Path) -> None:
    """Chunks of 3 in batches of 7: a chunk that fails rolls back its whole batch."""
    store = MemoryEventStore()
    for i in range(20):
        await store.append("todo_list", "o", i, [new(i, "TodoAdded", {"todo_id": f"t{i}"}, {})])
    projection = AnalyticsProjection(tmp_path / "a.duckdb")
    follower = AnalyticsFollower(projection, store, batch_size=7, chunk_size=3)
    loads: list[int] = []
    real_load = projection.load

    def failing_load(lines: Any) -> int:
        loads.append(lines.count)
        if len(loads) == 5:  # the second chunk of the second batch
            raise RuntimeError("disk full")
        return real_load(lines)

    projection.load = failing_load  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await follower.catch_up()
    assert loads == [3, 3, 3, 3, 3]  # batch 1: 3 + 3 + 3 (9 >= 7); batch 2 fails mid-way
    assert (projection.position, projection.count()) == (9, 9)  # batch 1 only
    projection.load = real_load  # type: ignore[method-assign]
    assert await follower.catch_up() == 11
    assert (projection.position, projection.count()) == (20, 20)
    assert projection.conn.execute("SELECT count(*) FROM todos").fetchone() == (20,)
    await follower.close()


async def test_created_at_is_utc_whatever_the_session_time_zone(tmp_path: Path) -> None:
    store = MemoryEventStore()
    at = {"occurred_at": "2026-01-02T05:04:05+02:00"}  # 03:04:05 UTC
    await store.append("todo_list", "o", 0, [new(1, "TodoAdded", {"todo_id": "t"}, at)])
    projection = AnalyticsProjection(tmp_path / "a.duckdb")
    projection.conn.execute("SET TimeZone = 'America/New_York'")
    follower = AnalyticsFollower(projection, store)
    assert await follower.catch_up() == 1
    row = projection.conn.execute("SELECT created_at = TIMESTAMP '2026-01-02 03:04:05' FROM events")
    assert row.fetchone() == (True,)
    await follower.close()


@pytest.mark.parametrize(("threshold", "scanned"), [(None, False), (1, True)])
async def test_a_follower_without_scan_threshold_never_loads_the_scanner(
    tmp_path: Path, threshold: int | None, scanned: bool
) -> None:
    """None (the default) is the server's setting: its store writer shares the process."""
    store = await SqliteEventStore.open(tmp_path / "s.sqlite3")
    try:
        for i in range(30):
            await store.append("todo_list", "o", i, [new(i, "TodoAdded", {"todo_id": f"t{i}"}, {})])
        projection = AnalyticsProjection(tmp_path / "a.duckdb")
        follower = AnalyticsFollower(projection, store, batch_size=4, scan_threshold=threshold)
        events, _ = await follower.rebuild()
        assert (events, projection.count()) == (30, 30)
        loaded = "SELECT count(*) FROM duckdb_extensions() WHERE loaded AND extension_name = ?"
        assert projection.conn.execute(loaded, ["sqlite_scanner"]).fetchone() == (int(scanned),)
        await follower.close()
    finally:
        await store.close()
