"""The DuckDB projection against plain Python over the same events; checkpoints and crashes."""

from __future__ import annotations

import statistics
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from ironstar.infra.analytics import AnalyticsProjection, Filters
from ironstar.infra.analytics import queries as q
from ironstar.infra.analytics._schema import TODOS_AFTER
from ironstar.infra.analytics.queries import COMPLETION_BOUNDS
from ironstar.kernel import StoredEvent
from tests.infra.analytics.fixtures import (
    completion_seconds,
    make_events,
    owner_counts,
    type_counts,
)

NOW = datetime(2026, 12, 1)
ALL = Filters()


@pytest.fixture
def projection(tmp_path: Path) -> AnalyticsProjection:
    return AnalyticsProjection(tmp_path / "analytics.duckdb")


def test_loaded_events_match_a_plain_python_count(projection: AnalyticsProjection) -> None:
    events = make_events(5_000)
    for start in range(0, len(events), 700):
        projection.apply_batch(events[start : start + 700])
    cur = projection.cursor()
    assert projection.position == 5_000
    assert {r.event_type: r.count for r in q.event_mix(cur, ALL, NOW)} == type_counts(events)
    owners = q.busiest_owners(cur, ALL, NOW, limit=100)
    assert {r.owner: r.events for r in owners} == owner_counts(events)
    summary = q.summary(cur, ALL, NOW)
    assert summary.events == 5_000
    assert summary.added == type_counts(events)["TodoAdded"]


def histogram(seconds: list[float]) -> list[int]:
    expected = [0] * (len(COMPLETION_BOUNDS) + 1)
    for s in seconds:
        expected[
            next((i for i, b in enumerate(COMPLETION_BOUNDS) if s < b), len(COMPLETION_BOUNDS))
        ] += 1
    return expected


def assert_completion(projection: AnalyticsProjection, events: list[StoredEvent]) -> None:
    seconds = completion_seconds(events)
    completion = q.completion_times(projection.cursor(), ALL, NOW)
    assert [b.count for b in completion.buckets] == histogram(seconds)
    assert completion.median_seconds == pytest.approx(statistics.median(seconds))


def test_completion_times_match_a_plain_python_histogram(projection: AnalyticsProjection) -> None:
    events = make_events(3_000)
    projection.apply_batch(events)
    assert_completion(projection, events)


@pytest.mark.parametrize("size", [1, 37, 500])
def test_the_todos_table_folded_batch_by_batch_matches_one_pass(tmp_path: Path, size: int) -> None:
    """Adds and completions of one todo land in different batches: MERGE keeps the firsts."""
    events = make_events(1_500 if size > 1 else 300)
    projection = AnalyticsProjection(tmp_path / "a.duckdb")
    for start in range(0, len(events), size):
        projection.apply_batch(events[start : start + size])
    assert_completion(projection, events)
    cur = projection.cursor()
    one_pass = cur.execute(TODOS_AFTER.replace("$after", "0") + " ORDER BY 1").fetchall()
    assert cur.execute("SELECT * FROM todos ORDER BY 1").fetchall() == one_pass


def test_completion_times_by_owner_and_window(projection: AnalyticsProjection) -> None:
    events = make_events(3_000)
    projection.apply_batch(events)
    owner = events[0].aggregate_id
    mine = [e for e in events if e.aggregate_id == owner]
    completion = q.completion_times(projection.cursor(), Filters(owner=owner), NOW)
    assert [b.count for b in completion.buckets] == histogram(completion_seconds(mine))
    # A window counts the todos whose first completion falls in it (the last hour here).
    now = datetime.fromisoformat(events[-1].created_at).replace(tzinfo=None)
    start = now - timedelta(hours=1)
    added: dict[tuple[str, str], datetime] = {}
    done: dict[tuple[str, str], datetime] = {}
    for e in events:
        key = (e.aggregate_id, msgspec.json.decode(e.payload)["todo_id"])
        at = datetime.fromisoformat(e.created_at).replace(tzinfo=None)
        if e.event_type == "TodoAdded":
            added.setdefault(key, at)
        elif e.event_type == "TodoCompleted":
            done.setdefault(key, at)
    seconds = [(t - added[k]).total_seconds() for k, t in done.items() if k in added and t >= start]
    assert 0 < len(seconds) < len(completion_seconds(events))
    completion = q.completion_times(projection.cursor(), Filters(range="1h"), now)
    assert [b.count for b in completion.buckets] == histogram(seconds)


def test_activity_buckets_sum_to_the_events_in_range(projection: AnalyticsProjection) -> None:
    events = make_events(2_000)
    projection.apply_batch(events)
    activity = q.activity(projection.cursor(), ALL, NOW)
    assert sum(r.count for r in activity.rows) == 2_000
    assert len({r.bucket for r in activity.rows}) <= q.MAX_BUCKETS + 1
    owner = events[0].aggregate_id
    mine = q.activity(projection.cursor(), Filters(owner=owner), NOW)
    assert sum(r.count for r in mine.rows) == owner_counts(events)[owner]


def test_a_relative_range_only_counts_recent_events(projection: AnalyticsProjection) -> None:
    events = make_events(1_000)  # one every ~3 s: 50 minutes
    projection.apply_batch(events)
    end = datetime.fromisoformat(events[-1].created_at).replace(tzinfo=None)
    recent = q.summary(projection.cursor(), Filters(range="15m"), end)
    assert 250 < recent.events < 350


def test_filters_by_event_type_and_owner(projection: AnalyticsProjection) -> None:
    events = make_events(1_000)
    projection.apply_batch(events)
    f = Filters(event_type="TodoAdded")
    owners = q.busiest_owners(projection.cursor(), f, NOW, limit=100)
    assert sum(r.events for r in owners) == type_counts(events)["TodoAdded"]
    mix = q.event_mix(projection.cursor(), f, NOW)  # its own selection does not filter it
    assert len(mix) == len(type_counts(events))


def test_replaying_a_batch_counts_nothing_twice(projection: AnalyticsProjection) -> None:
    events = make_events(500)
    assert projection.apply_batch(events[:300]) == 300
    assert projection.apply_batch(events[:400]) == 100
    assert projection.apply_batch(events) == 100
    assert projection.count() == 500


class CrashBeforeCommit(AnalyticsProjection):
    def _commit_checkpoint(self, position: int) -> None:
        super()._commit_checkpoint(position)
        raise RuntimeError("crash between the insert and the commit")


def test_a_failure_mid_batch_rolls_back_rows_and_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "analytics.duckdb"
    events = make_events(1_000)
    first = AnalyticsProjection(path)
    first.apply_batch(events[:600])
    first.close()
    crashing = CrashBeforeCommit(path)
    with pytest.raises(RuntimeError):
        crashing.apply_batch(events[600:])
    assert crashing.position == 600
    crashing.close()
    resumed = AnalyticsProjection(path)
    assert resumed.position == 600
    assert resumed.count() == 600
    resumed.apply_batch(events)
    assert resumed.count() == 1_000
    assert resumed.position == 1_000


KILL_MID_BATCH = """
import os, sys
from ironstar.infra.analytics import AnalyticsProjection
from tests.infra.analytics.fixtures import make_events

class Killed(AnalyticsProjection):
    def _commit_checkpoint(self, position):
        super()._commit_checkpoint(position)
        os._exit(9)  # the process dies inside the transaction: no rollback, no close

p = Killed(sys.argv[1])
p.apply_batch(make_events(1_000)[600:])
"""


def test_a_process_killed_mid_batch_resumes_without_double_counting(tmp_path: Path) -> None:
    path = tmp_path / "analytics.duckdb"
    events = make_events(1_000)
    first = AnalyticsProjection(path)
    first.apply_batch(events[:600])
    first.close()
    root = Path(__file__).parents[3]
    done = subprocess.run(
        [sys.executable, "-c", KILL_MID_BATCH, str(path)], cwd=root, check=False, timeout=60
    )
    assert done.returncode == 9
    resumed = AnalyticsProjection(path)
    assert (resumed.position, resumed.count()) == (600, 600)
    resumed.apply_batch(events)
    cur = resumed.cursor()
    assert {r.event_type: r.count for r in q.event_mix(cur, ALL, NOW)} == type_counts(events)
    assert_completion(resumed, events)  # the todos of the killed batch were rolled back too


def test_reset_empties_the_projection(projection: AnalyticsProjection) -> None:
    projection.apply_batch(make_events(100))
    projection.reset()
    assert (projection.position, projection.count()) == (0, 0)


def test_a_file_from_an_older_schema_is_dropped_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "analytics.duckdb"
    old = AnalyticsProjection(path)
    old.apply_batch(make_events(10))
    old.conn.execute("UPDATE checkpoints SET position = 1 WHERE name = '__schema__'")
    old.close()
    reopened = AnalyticsProjection(path)
    assert (reopened.position, reopened.count()) == (0, 0)  # the follower replays the log
