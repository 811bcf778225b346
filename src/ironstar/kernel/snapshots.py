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
    """The latest snapshot per stream. `put` keeps the stored one if it is newer (a higher
    `sequence`): writers racing, or a slow write landing late, never move a stream back."""

    async def get(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None: ...
    async def put(self, snapshot: Snapshot) -> None: ...
    async def close(self) -> None: ...


class MemorySnapshotStore:
    """Snapshots in a dict: enough for tests and for a single process."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Snapshot] = {}

    async def get(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None:
        return self._items.get((aggregate_type, aggregate_id))

    async def put(self, snapshot: Snapshot) -> None:
        key = (snapshot.aggregate_type, snapshot.aggregate_id)
        current = self._items.get(key)
        if current is None or snapshot.sequence >= current.sequence:
            self._items[key] = snapshot

    async def close(self) -> None:
        """Nothing to release."""
