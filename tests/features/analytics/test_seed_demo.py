"""`ironstar seed-demo` and `ironstar projections rebuild analytics`, end to end on disk."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ironstar.cli import main
from ironstar.infra.event_store import SqliteEventStore
from ironstar.kernel import StoredEvent


async def read_everything(path: Path) -> list[StoredEvent]:
    store = await SqliteEventStore.open(path)
    try:
        return await store.read_all(0, 1_000_000)
    finally:
        await store.close()


def test_seed_demo_writes_todo_events_and_the_rebuild_counts_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["seed-demo", "--events", "1500", "--seed", "3", "--data-dir", str(data)]) == 0
    assert "Seeded" in capsys.readouterr().out
    events = asyncio.run(read_everything(data / "ironstar.sqlite3"))
    assert len(events) >= 1500
    assert {e.aggregate_type for e in events} == {"todo_list"}
    kinds = Counter(e.event_type for e in events)
    assert kinds["TodoAdded"] > kinds["TodoCompleted"] > 0
    assert len({e.aggregate_id for e in events}) >= 5
    times = [datetime.fromisoformat(e.metadata["occurred_at"]) for e in events]
    assert (max(times) - min(times)).days >= 1  # simulated time spreads over days

    assert main(["projections", "rebuild", "analytics", "--data-dir", str(data)]) == 0
    assert "Rebuilt analytics" in capsys.readouterr().out
    with duckdb.connect(str(data / "analytics.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT event_type, count(*) FROM events GROUP BY 1").fetchall()
        span = conn.execute("SELECT max(created_at) - min(created_at) FROM events").fetchone()
    assert dict(rows) == dict(kinds)
    assert span is not None
    assert span[0].days >= 1
