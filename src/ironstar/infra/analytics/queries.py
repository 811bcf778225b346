"""The dashboard's questions, as typed functions over the DuckDB `events` table.

Each takes a cursor, the filters and "now" (naive UTC), and returns msgspec structs the
chart builders turn into JSON. User input only ever arrives as bound parameters.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

import duckdb
import msgspec

type Range = Literal["15m", "1h", "24h", "7d", "all"]
RANGES: dict[str, timedelta | None] = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "all": None,
}
# Bucket widths (seconds) for the activity chart: the smallest giving <= MAX_BUCKETS.
BUCKETS = (1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400)
MAX_BUCKETS = 90
# Completion-time histogram: upper bounds in seconds and their labels.
COMPLETION_BOUNDS = (0.1, 1, 10, 60, 600, 3600, 86400)
COMPLETION_LABELS = (
    "< 0.1 s", "0.1-1 s", "1-10 s", "10 s-1 min", "1-10 min", "10 min-1 h", "1 h-1 d", "> 1 d",
)  # fmt: skip
TODO = "todo_list"
# Completion time (µs) → bucket number, for `histogram()`: [lower, upper) like the labels.
_BUCKET = (
    "CASE "
    + " ".join(
        f"WHEN us < {round(b * 1_000_000)} THEN {i}" for i, b in enumerate(COMPLETION_BOUNDS)
    )
    + f" ELSE {len(COMPLETION_BOUNDS)} END"
)


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    """What the dashboard's signals select; hashable, so it is part of the cache key."""

    range: Range = "all"
    owner: str = ""
    event_type: str = ""


class Window(msgspec.Struct, frozen=True):
    start: datetime
    end: datetime
    bucket_seconds: int


class ActivityRow(msgspec.Struct, frozen=True):
    bucket: str  # ISO-8601 UTC
    event_type: str
    count: int


class Activity(msgspec.Struct, frozen=True):
    bucket_seconds: int
    rows: list[ActivityRow]


class MixRow(msgspec.Struct, frozen=True):
    event_type: str
    count: int


class OwnerRow(msgspec.Struct, frozen=True):
    owner: str
    events: int
    added: int
    completed: int


class CompletionBucket(msgspec.Struct, frozen=True):
    label: str
    count: int


class Completion(msgspec.Struct, frozen=True):
    buckets: list[CompletionBucket]
    median_seconds: float | None


class Summary(msgspec.Struct, frozen=True):
    events: int
    owners: int
    added: int
    completed: int


def window(cur: duckdb.DuckDBPyConnection, f: Filters, now: datetime) -> Window:
    span = RANGES[f.range]
    if span is None:
        row = cur.execute("SELECT min(created_at), max(created_at) FROM events").fetchone()
        start, end = (row[0], row[1]) if row and row[0] is not None else (now, now)
    else:
        start, end = now - span, now
    seconds = max((end - start).total_seconds(), 1)
    width = next((b for b in BUCKETS if seconds / b <= MAX_BUCKETS), BUCKETS[-1])
    return Window(start, end, width)


def _where(
    f: Filters, w: Window, *, owner: bool = True, event_type: bool = True
) -> tuple[str, list[Any]]:
    clauses: list[str] = ["created_at BETWEEN ? AND ?"]
    params: list[Any] = [w.start, w.end]
    if owner and f.owner:
        clauses.append("aggregate_id = ?")
        params.append(f.owner)
    if event_type and f.event_type:
        clauses.append("event_type = ?")
        params.append(f.event_type)
    return " AND ".join(clauses), params


def activity(cur: duckdb.DuckDBPyConnection, f: Filters, now: datetime) -> Activity:
    w = window(cur, f, now)
    where, params = _where(f, w)
    sql = f"""
        SELECT strftime(bucket, '%Y-%m-%dT%H:%M:%SZ'), event_type, n FROM (
          SELECT time_bucket(to_seconds(?::BIGINT), created_at) AS bucket, event_type,
                 count(*)::BIGINT AS n
          FROM events WHERE {where} GROUP BY ALL
        ) ORDER BY bucket, event_type"""
    rows = cur.execute(sql, [w.bucket_seconds, *params]).fetchall()
    return Activity(w.bucket_seconds, [ActivityRow(*r) for r in rows])


def event_mix(cur: duckdb.DuckDBPyConnection, f: Filters, now: datetime) -> list[MixRow]:
    """Counts per event type; ignores the event-type filter (it is this chart's selection)."""
    where, params = _where(f, window(cur, f, now), event_type=False)
    sql = (
        f"SELECT event_type, count(*)::BIGINT FROM events WHERE {where} GROUP BY 1 ORDER BY 2 DESC"
    )
    return [MixRow(*r) for r in cur.execute(sql, params).fetchall()]


def busiest_owners(
    cur: duckdb.DuckDBPyConnection, f: Filters, now: datetime, limit: int = 10
) -> list[OwnerRow]:
    """Owners with the most todo events; ignores the owner filter (this chart's selection)."""
    where, params = _where(f, window(cur, f, now), owner=False)
    sql = f"""
        SELECT aggregate_id, count(*)::BIGINT,
               count(*) FILTER (event_type = 'TodoAdded')::BIGINT,
               count(*) FILTER (event_type = 'TodoCompleted')::BIGINT
        FROM events WHERE aggregate_type = '{TODO}' AND {where}
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?"""
    return [OwnerRow(*r) for r in cur.execute(sql, [*params, limit]).fetchall()]


def completion_times(cur: duckdb.DuckDBPyConnection, f: Filters, now: datetime) -> Completion:
    """How long todos took from their first add to their first completion.

    Log-spaced buckets and the median, over the todos whose first completion falls in the
    window (and belongs to the owner filter). Reads the per-todo table the projection
    keeps (`todos`, ~1 row per 3 events here) instead of grouping the event rows.
    """
    w = window(cur, f, now)
    clauses = ["done_at BETWEEN ? AND ?", "added_at IS NOT NULL"]
    params: list[Any] = [w.start, w.end]
    if f.owner:
        clauses.append("owner = ?")
        params.append(f.owner)
    # One aggregate row: a histogram of bucket numbers (one CASE per row, integer
    # microseconds: twice as fast as eight FILTERed counts over an interval) and the median.
    sql = f"""
        SELECT histogram({_BUCKET}), median(us) / 1e6 FROM (
          SELECT epoch_us(done_at) - epoch_us(added_at) AS us FROM todos
          WHERE {" AND ".join(clauses)}
        ) WHERE us >= 0"""
    row = cur.execute(sql, params).fetchone()
    counts, median = (row[0] or {}, row[1]) if row else ({}, None)
    buckets = [
        CompletionBucket(label, int(counts.get(i, 0))) for i, label in enumerate(COMPLETION_LABELS)
    ]
    return Completion(buckets, median)


def summary(cur: duckdb.DuckDBPyConnection, f: Filters, now: datetime) -> Summary:
    where, params = _where(f, window(cur, f, now))
    sql = f"""
        SELECT count(*)::BIGINT, count(DISTINCT aggregate_id)::BIGINT,
               count(*) FILTER (event_type = 'TodoAdded')::BIGINT,
               count(*) FILTER (event_type = 'TodoCompleted')::BIGINT
        FROM events WHERE {where}"""
    events, owners, added, completed = cur.execute(sql, params).fetchone() or (0, 0, 0, 0)
    return Summary(events, owners, added, completed)
