"""Snapshots: a shortcut for long streams, keyed by decider version so stale ones vanish."""

from __future__ import annotations

from typing import Protocol

import msgspec


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    aggregate_type: str
    aggregate_id: str
    decider_version: int
    sequence: int  # the last event folded into `state`
    state: bytes  # msgspec JSON of the state


class SnapshotStore(Protocol):
    async def get(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None: ...
    async def put(self, snapshot: Snapshot) -> None: ...


class MemorySnapshotStore:
    """Snapshots in a dict: enough for tests and for a single process."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Snapshot] = {}

    async def get(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None:
        return self._items.get((aggregate_type, aggregate_id))

    async def put(self, snapshot: Snapshot) -> None:
        self._items[(snapshot.aggregate_type, snapshot.aggregate_id)] = snapshot
