"""CommandHandler: the application service that runs a command through a decider.

load (snapshot + replay) → decide → append with the expected version → on conflict,
reload and decide again (bounded) → tell `on_committed` the last position (the bus
wake-up). It depends only on the `EventStore` port, so it runs on any adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from ironstar.kernel.codec import EventCodec
from ironstar.kernel.decider import Decider, fold
from ironstar.kernel.envelope import StoredEvent
from ironstar.kernel.errors import ConcurrencyError
from ironstar.kernel.ids import uuid7
from ironstar.kernel.snapshots import Snapshot, SnapshotStore
from ironstar.kernel.store import EventStore
from ironstar.kernel.upcasters import Upcasters

type AnyDecider = Decider[Any, Any, Any]


class CommandHandler:
    """Runs commands against deciders; one instance per app, shared by all features."""

    def __init__(
        self,
        store: EventStore,
        *,
        upcasters: Upcasters | None = None,
        snapshots: SnapshotStore | None = None,
        snapshot_every: int = 100,
        on_committed: Callable[[int], None] | None = None,
        max_attempts: int = 5,
        new_id: Callable[[], str] = uuid7,
    ) -> None:
        self.store = store
        self.upcasters = upcasters
        self.snapshots = snapshots
        self.snapshot_every = snapshot_every
        self.on_committed = on_committed
        self.max_attempts = max_attempts
        self.new_id = new_id
        self._codecs: dict[int, tuple[AnyDecider, EventCodec[Any]]] = {}

    def codec(self, decider: AnyDecider) -> EventCodec[Any]:
        """The decider's codec, built once (the pair keeps the decider alive for its id)."""
        entry = self._codecs.get(id(decider))
        if entry is None:
            entry = (decider, EventCodec(decider.event_types, self.upcasters))
            self._codecs[id(decider)] = entry
        return entry[1]

    async def load[S](self, decider: Decider[S, Any, Any], aggregate_id: str) -> tuple[S, int]:
        """The current state and version (last sequence, 0 for a new stream)."""
        state, version = await self._from_snapshot(decider, aggregate_id)
        stored = await self.store.read_stream(decider.aggregate_type, aggregate_id, version)
        if not stored:
            return state, version
        state = fold(decider, state, self.codec(decider).decode_all(stored))
        return state, stored[-1].sequence

    async def handle[C](
        self,
        decider: Decider[Any, C, Any],
        aggregate_id: str,
        command: C,
        metadata: dict[str, str] | None = None,
    ) -> list[StoredEvent]:
        """Decide and append; `DomainError` passes through, conflicts are retried."""
        for attempt in range(1, self.max_attempts + 1):
            state, version = await self.load(decider, aggregate_id)
            events = decider.decide(state, command)
            if not events:
                return []
            try:
                stored = await self._append(decider, aggregate_id, version, events, metadata)
            except ConcurrencyError:
                if attempt == self.max_attempts:
                    raise
                continue
            await self._maybe_snapshot(decider, aggregate_id, state, version, events)
            if self.on_committed is not None:
                self.on_committed(stored[-1].position)
            return stored
        raise AssertionError("unreachable")  # pragma: no cover

    async def _append(
        self,
        decider: AnyDecider,
        aggregate_id: str,
        version: int,
        events: Sequence[Any],
        metadata: dict[str, str] | None,
    ) -> list[StoredEvent]:
        codec = self.codec(decider)
        new = [codec.encode(e, self.new_id(), metadata) for e in events]
        return await self.store.append(decider.aggregate_type, aggregate_id, version, new)

    async def _from_snapshot[S](
        self, decider: Decider[S, Any, Any], aggregate_id: str
    ) -> tuple[S, int]:
        if self.snapshots is None:
            return decider.initial_state(), 0
        snap = await self.snapshots.get(decider.aggregate_type, aggregate_id)
        initial = decider.initial_state()
        if snap is None or snap.decider_version != decider.version:
            return initial, 0  # a snapshot from other code is worse than none
        return msgspec.json.decode(snap.state, type=type(initial)), snap.sequence

    async def _maybe_snapshot(
        self,
        decider: AnyDecider,
        aggregate_id: str,
        state: Any,
        version: int,
        events: Sequence[Any],
    ) -> None:
        new_version = version + len(events)
        every = self.snapshot_every
        if self.snapshots is None or new_version // every == version // every:
            return
        snap = Snapshot(
            aggregate_type=decider.aggregate_type,
            aggregate_id=aggregate_id,
            decider_version=decider.version,
            sequence=new_version,
            state=msgspec.json.encode(fold(decider, state, events)),
        )
        await self.snapshots.put(snap)
