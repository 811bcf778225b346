"""The SQLite fast path and the generic `EventStore` path load identical rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from ironstar.infra.analytics import AnalyticsFollower, AnalyticsProjection
from ironstar.infra.analytics.source import SqliteSource
from ironstar.infra.event_store import MemoryEventStore, SqliteEventStore
from ironstar.kernel import NewEvent


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


async def load(tmp: Path, store: Any, name: str) -> list[tuple[Any, ...]]:
    versions: dict[str, int] = {}
    for owner, events in BATCHES:
        await store.append("todo_list", owner, versions.get(owner, 0), events)
        versions[owner] = versions.get(owner, 0) + len(events)
    follower = AnalyticsFollower(AnalyticsProjection(tmp / f"{name}.duckdb"), store, batch_size=2)
    assert await follower.catch_up() == 4
    rows = follower.projection.conn.execute(
        "SELECT position, aggregate_type, aggregate_id, event_type, todo_id, text_length,"
        " item_count, todo_key, created_at = TIMESTAMP '2026-01-02 03:04:05'"
        " FROM events ORDER BY position"
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
    assert fast[0][5] == len('héllo "quoted"\n')  # text length survives both encoders
    assert fast[0][7] == fast[2][7] != fast[1][7]  # one grouping key per (owner, todo)
    assert [r[-1] for r in fast] == [False, True, False, False]  # occurred_at wins
    assert fast[3][6] == 2  # CompletedCleared touches two todos


async def test_the_follower_picks_the_sqlite_source_for_a_sqlite_store(tmp_path: Path) -> None:
    store = await SqliteEventStore.open(tmp_path / "s.sqlite3")
    follower = AnalyticsFollower(AnalyticsProjection(tmp_path / "a.duckdb"), store)
    assert isinstance(follower.source, SqliteSource)
    await follower.close()
    await store.close()
