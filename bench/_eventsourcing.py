"""The same workloads on the `eventsourcing` library (9.5, SQLite, default synchronous=FULL)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench._timing import Timer


class Counter(Aggregate):
    def __init__(self) -> None:
        self.total = 0

    @event("Added")
    def add(self, amount: int) -> None:
        self.total += amount


class Counters(Application[uuid.UUID]):
    is_snapshotting_enabled = False


def app(path: Path) -> Any:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    return Counters(env=env)


def _created(application: Any, n: int) -> list[Any]:
    ids = []
    for _ in range(n):
        c = Counter()
        application.save(c)
        ids.append(c.id)
    return ids


def commands(tmp: Path, n: int, writers: int) -> tuple[int, float]:
    """Load, add, save: 5 commands per aggregate, from `writers` threads."""
    application = app(tmp / "es.db")
    per_writer = n // writers
    ids = _created(application, writers * (per_writer // 5 + 1))
    plans = [[ids[w * (per_writer // 5 + 1) + i // 5] for i in range(per_writer)]
             for w in range(writers)]  # fmt: skip

    def writer(mine: list[uuid.UUID]) -> None:
        for aggregate_id in mine:
            c = application.repository.get(aggregate_id)
            c.add(1)
            application.save(c)

    with Timer() as t:
        if writers == 1:
            writer(plans[0])
        else:
            with ThreadPoolExecutor(writers) as pool:
                list(pool.map(writer, plans))
    application.close()
    return per_writer * writers, t.seconds


def _stored_batches(application: Any, total: int, per_txn: int) -> list[list[Any]]:
    batches = []
    for _ in range(total // per_txn):
        c = Counter()
        for _ in range(per_txn - 1):
            c.add(1)
        batches.append([application.mapper.to_stored_event(e) for e in c.collect_events()])
    return batches


def batched(tmp: Path, total: int, per_txn: int) -> tuple[int, float]:
    application = app(tmp / "es.db")
    batches = _stored_batches(application, total, per_txn)
    with Timer() as t:
        for batch in batches:
            application.recorder.insert_events(batch)
    application.close()
    return total, t.seconds


def populate(path: Path, total: int) -> None:
    application = app(path)
    for batch in _stored_batches(application, total, 100):
        application.recorder.insert_events(batch)
    application.close()


def read_all(path: Path, decode: bool) -> tuple[int, float]:
    application = app(path)
    recorder, to_domain = application.recorder, application.mapper.to_domain_event
    count, start = 0, 1
    with Timer() as t:
        while batch := recorder.select_notifications(start, 1000):
            if decode:
                [to_domain(n) for n in batch]
            count += len(batch)
            start = batch[-1].id + 1
    application.close()
    return count, t.seconds


def rebuild(path: Path) -> tuple[int, float]:
    """The same in-memory projection: decode every event, total per aggregate."""
    application = app(path)
    recorder, to_domain = application.recorder, application.mapper.to_domain_event
    totals: dict[uuid.UUID, int] = {}
    count, start = 0, 1
    with Timer() as t:
        while batch := recorder.select_notifications(start, 1000):
            for notification in batch:
                e = to_domain(notification)
                totals[e.originator_id] = totals.get(e.originator_id, 0) + getattr(e, "amount", 0)
            count += len(batch)
            start = batch[-1].id + 1
    application.close()
    return count, t.seconds


def loads(path: Path, n: int) -> tuple[int, float]:
    application = app(path)
    ids = [n.originator_id for n in application.recorder.select_notifications(1, 100 * 50)[::100]]
    with Timer() as t:
        for i in range(n):
            application.repository.get(ids[i % len(ids)])
    application.close()
    return n, t.seconds
