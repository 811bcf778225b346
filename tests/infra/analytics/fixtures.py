"""Synthetic todo events and the same answers computed in plain Python (the reference)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import msgspec

from ironstar.kernel import StoredEvent

TYPES = ("TodoAdded", "TodoCompleted", "TodoRenamed", "TodoReopened", "TodoDeleted")
START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def make_events(count: int, *, owners: int = 7, seed: int = 1, start: int = 1) -> list[StoredEvent]:
    """`count` todo events over `owners` owners, one every ~3 s, every completion after its add."""
    rng = random.Random(seed)
    events: list[StoredEvent] = []
    open_: dict[str, list[str]] = {f"owner-{i}": [] for i in range(owners)}
    for position in range(start, start + count):
        owner = f"owner-{rng.randrange(owners)}"
        if open_[owner] and rng.random() < 0.4:
            kind, todo = "TodoCompleted", open_[owner].pop(0)
            payload: dict[str, object] = {"todo_id": todo}
        elif open_[owner] and rng.random() < 0.2:
            kind, todo = rng.choice(TYPES[2:]), open_[owner][-1]
            payload = (
                {"todo_id": todo, "text": "renamed"} if kind == "TodoRenamed" else {"todo_id": todo}
            )
        else:
            kind, todo = "TodoAdded", f"t{position}"
            open_[owner].append(todo)
            payload = {"todo_id": todo, "text": "x" * rng.randint(1, 40)}
        at = START + timedelta(seconds=3 * position + rng.random())
        events.append(stored(position, owner, kind, payload, at))
    return events


def stored(
    position: int, owner: str, kind: str, payload: dict[str, object], at: datetime
) -> StoredEvent:
    return StoredEvent(
        position, f"e{position}", "todo_list", owner, position, kind, 1,
        msgspec.json.encode(payload), {}, at.isoformat(),
    )  # fmt: skip


def type_counts(events: list[StoredEvent]) -> dict[str, int]:
    return dict(Counter(e.event_type for e in events))


def owner_counts(events: list[StoredEvent]) -> dict[str, int]:
    return dict(Counter(e.aggregate_id for e in events))


def completion_seconds(events: list[StoredEvent]) -> list[float]:
    """Seconds from each todo's add to its first completion (the reference for DuckDB)."""
    added: dict[tuple[str, str], datetime] = {}
    done: dict[tuple[str, str], datetime] = {}
    for e in events:
        key = (e.aggregate_id, msgspec.json.decode(e.payload)["todo_id"])
        at = datetime.fromisoformat(e.created_at)
        if e.event_type == "TodoAdded":
            added.setdefault(key, at)
        elif e.event_type == "TodoCompleted":
            done.setdefault(key, at)
    return sorted((done[k] - added[k]).total_seconds() for k in done if k in added)
