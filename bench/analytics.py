"""Analytics benchmarks: the DuckDB projection and the dashboard queries.

    .venv/bin/python bench/analytics.py --json [--quick] [--events N] [--store PATH]

One process, one SQLite store populated once with N todo events (1M; 100k with
--quick) over 2,000 owners. Times are medians of several runs:
- rebuild: `AnalyticsFollower.rebuild()` from the SQLite store into a fresh DuckDB file;
- catch-up: a follower in steady state, as the server runs it (`follow()`: bus, debounce,
  DuckDB's WAL growing and flushed while it waits), catching up 10k events at a time
  30 times (3 per 100k with --quick) from a projection built to 300k events before the
  end: median, p90 and max; once idle between the steps, once busy (no pause);
- dashboard cold: the five dashboard queries after a cache invalidation, one by one
  and together (as the page runs them); cached: one query answered from the cache;
- live: a follower following a fresh store while events arrive one at a time at 240/s
  for 3 s (the server's todo traffic in bench/sse.py's latency workload): the CPU of its
  threads per event and the batches it committed (at most one per `min_interval_seconds`);
- DuckDB vs Python: the busiest-owners and completion-time aggregations in DuckDB, and
  the same in pure Python over the rows read from SQLite (the reads included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import msgspec
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ironstar.infra.analytics import (
    AnalyticsFollower,
    AnalyticsProjection,
    AnalyticsService,
    Filters,
    QueryCache,
)
from ironstar.infra.analytics.follower import SCAN_THRESHOLD, Progress
from ironstar.infra.analytics.queries import COMPLETION_BOUNDS
from ironstar.infra.analytics.source import Lines, SqliteSource
from ironstar.infra.bus import EventBus
from ironstar.infra.event_store import SqliteEventStore
from ironstar.infra.event_store.connection import open_connection
from ironstar.kernel import NewEvent

ALL = Filters()
TARGETS_MS = {
    "rebuild": 3000.0,
    "catch_up_10k": 50.0,
    "catch_up_10k_p90": 50.0,  # "reliably": 9 catch-ups in 10
    "dashboard_cold": 100.0,
    "cached": 1.0,
}
PER_APPEND = 50  # events per stream per append


def log(**fields: Any) -> None:
    print(json.dumps(fields), file=sys.stderr)


async def populate(path: Path, total: int, owners: int = 2_000) -> None:
    """Todo-shaped events: adds, completions, renames; time-ordered by position."""
    rng = random.Random(5)
    store = await SqliteEventStore.open(path, durable=False)
    versions = dict.fromkeys(range(owners), 0)
    written = 0
    try:
        while written < total:
            batch = []
            for _ in range(64):
                owner = rng.randrange(owners)
                events = _stream_events(rng, owner, versions[owner], PER_APPEND)
                batch.append(store.append("todo_list", f"o{owner:05d}", versions[owner], events))
                versions[owner] += PER_APPEND
            written += sum(len(s) for s in await asyncio.gather(*batch))
    finally:
        await store.close()


def _stream_events(rng: random.Random, owner: int, version: int, n: int) -> list[NewEvent]:
    events = []
    for i in range(version, version + n):
        todo = f"t{owner}-{i // 3}"
        kind = ("TodoAdded", "TodoCompleted", "TodoRenamed")[i % 3]
        payload: dict[str, str] = {"todo_id": todo}
        if kind != "TodoCompleted":
            payload["text"] = "x" * rng.randint(3, 60)
        body = msgspec.json.encode(payload)
        events.append(
            NewEvent(event_id=f"{owner}-{i}", event_type=kind, event_version=1, payload=body)
        )
    return events


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


async def timed(run: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await run()
    return time.perf_counter() - started


async def bench_projection(store: SqliteEventStore, tmp: Path, repeats: int) -> dict[str, Any]:
    rebuilds = []
    for i in range(repeats):
        projection = AnalyticsProjection(tmp / f"rebuild-{i}.duckdb")
        follower = AnalyticsFollower(projection, store, scan_threshold=SCAN_THRESHOLD)
        events, seconds = await follower.rebuild()
        rebuilds.append(seconds)
        log(step="rebuild", events=events, seconds=round(seconds, 3))
        await follower.close()
    out = {"rebuild": median_ms(rebuilds)}
    steps = max(3, min(repeats * 10, await store.last_position() // 30_000))
    for mode, pause in (("", None), ("_busy", 0.0)):
        samples = await bench_following(store, tmp / f"follow{mode}.duckdb", steps, pause)
        out |= {
            f"catch_up_10k{mode}": median_ms(samples),
            f"catch_up_10k{mode}_p90": round(
                statistics.quantiles(samples, n=10, method="inclusive")[-1] * 1000, 3
            ),
            f"catch_up_10k{mode}_max": round(max(samples) * 1000, 3),
        }
        log(step=f"catch_up{mode}", ms=[round(t * 1000, 1) for t in samples])
    return out


class GrowingSource(SqliteSource):
    """The store as a live follower sees it: only positions up to `last` exist yet."""

    last = 0

    def read(self, after: int, limit: int) -> Lines | None:
        limit = min(limit, self.last - after)
        return super().read(after, limit) if limit > 0 else None

    def last_position(self) -> int:
        return min(self.last, super().last_position())


async def bench_following(
    store: SqliteEventStore, db: Path, steps: int, pause: float | None
) -> list[float]:
    """A follower in steady state: `steps` catch-ups of 10k through `follow()` (the bus, the
    debounce, DuckDB's WAL growing and flushed as the server's follower does). `pause`
    between the steps: None = long enough for the follower to go idle; 0 = busy."""
    source = GrowingSource(store.path)
    source.last = await store.last_position() - steps * 10_000
    setup = AnalyticsFollower(
        AnalyticsProjection(db), store, source=source, scan_threshold=SCAN_THRESHOLD
    )
    await setup.catch_up()
    await setup.close()
    follower = AnalyticsFollower(AnalyticsProjection(db), store, source=source)
    samples: list[float] = []
    catch_up = follower.catch_up

    async def timed_catch_up(progress: Progress | None = None) -> int:
        started = time.perf_counter()
        loaded = await catch_up(progress)
        if loaded:
            samples.append(time.perf_counter() - started)
        return loaded

    follower.catch_up = timed_catch_up  # type: ignore[method-assign]
    bus = EventBus(source.last)
    following = asyncio.create_task(follower.follow(bus))
    wait = follower.idle_seconds + 0.1 if pause is None else pause
    try:
        async with follower.applied.subscribe() as applied:
            for _ in range(steps):
                source.last += 10_000
                bus.publish(source.last)
                seen = follower.position
                while seen < source.last:
                    seen = await applied.wait(seen)
                await asyncio.sleep(wait)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
        await follower.close()
    return samples


async def bench_queries(tmp: Path, repeats: int) -> dict[str, Any]:
    projection = AnalyticsProjection(tmp / "rebuild-0.duckdb")
    cache = QueryCache()
    service = AnalyticsService([projection.cursor() for _ in range(2)], cache)
    named: dict[str, Callable[[], Awaitable[object]]] = {
        "summary": lambda: service.summary(ALL),
        "activity": lambda: service.activity(ALL),
        "event_mix": lambda: service.event_mix(ALL),
        "busiest_owners": lambda: service.busiest_owners(ALL),
        "completion_times": lambda: service.completion_times(ALL),
    }

    async def dashboard() -> None:
        await asyncio.gather(*(run() for run in named.values()))

    out: dict[str, Any] = {}
    await dashboard()  # warm DuckDB's buffers: "cold" means not cached by us
    for name, run in [*named.items(), ("dashboard", dashboard)]:
        samples = []
        for _ in range(repeats * 3):
            cache.invalidate()
            samples.append(await timed(run))
        out[f"cold_{name}"] = median_ms(samples)
    await service.event_mix(ALL)
    hits = [await timed(lambda: service.event_mix(ALL)) for _ in range(1_000)]
    out["cached"] = median_ms(hits)
    out["dashboard_cold"] = out["cold_dashboard"]
    service.close()
    projection.close()
    return out


def python_owners(db: Path) -> list[tuple[str, int, int, int]]:
    conn = open_connection(db, readonly=True)  # apsw: one SQLite library per process
    counts: Counter[str] = Counter()
    added: Counter[str] = Counter()
    completed: Counter[str] = Counter()
    rows = cast(
        "Iterable[tuple[str, str]]", conn.execute("SELECT aggregate_id, event_type FROM events")
    )
    for owner, kind in rows:
        counts[owner] += 1
        if kind == "TodoAdded":
            added[owner] += 1
        elif kind == "TodoCompleted":
            completed[owner] += 1
    conn.close()
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]  # ties: by owner, as SQL
    return [(o, n, added[o], completed[o]) for o, n in top]


def python_completion(db: Path) -> tuple[list[int], float | None]:
    """The whole answer, as `queries.completion_times` gives it: bucket counts and median."""
    conn = open_connection(db, readonly=True)
    decode = msgspec.json.decode
    first_add: dict[tuple[str, str], datetime] = {}
    first_done: dict[tuple[str, str], datetime] = {}
    sql = "SELECT aggregate_id, event_type, payload, created_at FROM events"
    rows = cast("Iterable[tuple[str, str, str, str]]", conn.execute(sql))
    for owner, kind, payload, at in rows:
        if kind == "TodoAdded":
            first_add.setdefault((owner, decode(payload)["todo_id"]), datetime.fromisoformat(at))
        elif kind == "TodoCompleted":
            first_done.setdefault((owner, decode(payload)["todo_id"]), datetime.fromisoformat(at))
    conn.close()
    seconds = [(t - first_add[k]).total_seconds() for k, t in first_done.items() if k in first_add]
    seconds = [s for s in seconds if s >= 0]  # completed "before" added: skipped, as in SQL
    counts = [0] * (len(COMPLETION_BOUNDS) + 1)
    for s in seconds:
        counts[bisect_right(COMPLETION_BOUNDS, s)] += 1
    return counts, statistics.median(seconds) if seconds else None


def same_answer(name: str, duck: Any, py: Any) -> None:
    """The comparison is only fair if both compute the same thing: check it."""
    if name == "busiest_owners":
        duck = [(r.owner, r.events, r.added, r.completed) for r in duck]
    else:
        duck = ([b.count for b in duck.buckets], duck.median_seconds)
        if duck[1] is not None and py[1] is not None and abs(duck[1] - py[1]) < 1e-6:
            duck = (duck[0], py[1])
    if duck != py:
        raise AssertionError(f"{name}: DuckDB {duck!r} != Python {py!r}")


async def bench_vs_python(db: Path, tmp: Path, repeats: int) -> dict[str, Any]:
    from ironstar.infra.analytics import queries as q

    projection = AnalyticsProjection(tmp / "rebuild-0.duckdb")
    cur, now = projection.cursor(), datetime.now()
    out: dict[str, Any] = {}
    for name, duck, py in (
        ("busiest_owners", lambda: q.busiest_owners(cur, ALL, now), lambda: python_owners(db)),
        (
            "completion_times",
            lambda: q.completion_times(cur, ALL, now),
            lambda: python_completion(db),
        ),
    ):
        same_answer(name, duck(), py())
        # Interleaved, so both sides see the same load on a shared box.
        duck_s: list[float] = []
        py_s: list[float] = []
        for _ in range(repeats):
            py_s.append(_clock(py))
            duck_s += [_clock(duck) for _ in range(3)]
        out[name] = {
            "duckdb_ms": median_ms(duck_s),
            "python_ms": median_ms(py_s),
            "speedup": round(statistics.median(py_s) / statistics.median(duck_s), 1),
        }
        log(step="vs_python", query=name, **out[name])
    projection.close()
    return out


async def bench_live(tmp: Path, rate: int = 240, seconds: float = 3.0) -> dict[str, Any]:
    """The follower's own CPU (its writer and reader threads) while events keep coming."""
    store = await SqliteEventStore.open(tmp / "live.sqlite3", durable=False)
    follower = AnalyticsFollower(AnalyticsProjection(tmp / "live.duckdb"), store)
    batches: list[int] = []
    follower.listeners.append(batches.append)
    bus = EventBus()
    following = asyncio.create_task(follower.follow(bus))
    rng = random.Random(7)
    total = round(rate * seconds)
    await asyncio.sleep(0.1)  # its first (empty) catch-up: threads started
    before = _follower_cpu()
    started = time.perf_counter()
    try:
        for i in range(total):
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            stored = await store.append("todo_list", "live", i, _stream_events(rng, 0, i, 1))
            bus.publish(stored[-1].position)
        async with follower.applied.subscribe() as applied:
            seen = follower.position
            while seen < total:
                seen = await applied.wait(seen)
        cpu = _follower_cpu() - before
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
        await follower.close()
        await store.close()
    return {
        "live_events": total,
        "live_batches": len(batches),
        "live_follower_cpu_ms_per_event": round(cpu * 1000 / total, 4),
    }


def _follower_cpu() -> float:
    """CPU seconds of the follower's threads (named by its executors) in this process."""
    ids = {t.native_id for t in threading.enumerate() if t.name.startswith("analytics-")}
    return sum(t.user_time + t.system_time for t in psutil.Process().threads() if t.id in ids)


def _clock(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


async def main_async(events: int, repeats: int, store_path: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = store_path or tmp / "ironstar.sqlite3"
        if not db.exists():  # --store: populated once, reused by later runs
            started = time.perf_counter()
            await populate(db, events)
            log(step="populate", events=events, seconds=round(time.perf_counter() - started, 1))
        store = await SqliteEventStore.open(db, durable=False)
        try:
            timings = await bench_projection(store, tmp, repeats)
        finally:
            await store.close()
        timings |= await bench_queries(tmp, repeats)
        live = await bench_live(tmp)
        log(step="live", **live)
        vs_python = await bench_vs_python(db, tmp, repeats)
    checks = {
        k: {"ms": timings[k], "target_ms": t, "ok": timings[k] <= t} for k, t in TARGETS_MS.items()
    }
    speedup = min(v["speedup"] for v in vs_python.values())
    checks["duckdb_vs_python"] = {"speedup": speedup, "target": 20, "ok": speedup >= 20}
    return {
        "events": events,
        "repeats": repeats,
        "timings_ms": timings,
        "vs_python": vs_python,
        "live": live,
        "targets": checks,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--store", type=Path, default=None, help="reuse (or create) this store")
    args = parser.parse_args()
    events = args.events or (100_000 if args.quick else 1_000_000)
    out = asyncio.run(main_async(events, args.repeats, args.store))
    print(json.dumps(out, indent=2) if args.json else out)


if __name__ == "__main__":
    main()
