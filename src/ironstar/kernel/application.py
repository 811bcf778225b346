"""CommandHandler: the application service that runs a command through a decider.

load (cache, else snapshot + replay) → decide → append with the expected version → on conflict,
reload and decide again (bounded) → tell `on_committed` the last position (the bus
wake-up). It depends only on the `EventStore` port, so it runs on any adapter.

The state cache trusts optimistic concurrency: a command decides on the cached state
without reading the store; if another writer (say, another process) moved the stream,
the append raises `ConcurrencyError` and the command is retried on the cached state
caught up with the events it missed (read after its version, not a whole replay). A
`DomainError` raised on cached state is re-checked the same way: if no event is missing,
the refusal stands at the cost of one indexed read (so a stream of invalid commands
never forces replays). States must be immutable (frozen Structs) for this to be safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import msgspec

from ironstar.kernel._cache import StateCache
from ironstar.kernel.codec import EventCodec
from ironstar.kernel.decider import Decider, fold
from ironstar.kernel.envelope import StoredEvent
from ironstar.kernel.errors import ConcurrencyError, DomainError
from ironstar.kernel.ids import uuid7
from ironstar.kernel.snapshots import Snapshot, SnapshotStore
from ironstar.kernel.store import EventStore
from ironstar.kernel.upcasters import Upcasters

type AnyDecider = Decider[Any, Any, Any]

_log = logging.getLogger(__name__)  # stdlib logging: the kernel imports no framework


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
        cache_size: int = 10_000,
    ) -> None:
        self.store = store
        self.upcasters = upcasters
        self.snapshots = snapshots
        self.snapshot_every = snapshot_every
        self.on_committed = on_committed
        self.max_attempts = max_attempts
        self.new_id = new_id
        self._codecs: dict[int, tuple[AnyDecider, EventCodec[Any]]] = {}
        self._cache = StateCache(cache_size)
        # A stream is here while a command runs on it; the queue exists once one waits.
        self._turns: dict[tuple[str, str], deque[asyncio.Future[None]] | None] = {}

    def codec(self, decider: AnyDecider) -> EventCodec[Any]:
        """The decider's codec, built once (the pair keeps the decider alive for its id)."""
        return (self._codecs.get(id(decider)) or self._add_codec(decider))[1]

    def _add_codec(self, decider: AnyDecider) -> tuple[AnyDecider, EventCodec[Any]]:
        entry = self._codecs[id(decider)] = (
            decider,
            EventCodec(decider.event_types, self.upcasters),
        )
        return entry

    async def load[S](self, decider: Decider[S, Any, Any], aggregate_id: str) -> tuple[S, int]:
        """The current state and version (last sequence, 0 for a new stream)."""
        state, version = await self._from_snapshot(decider, aggregate_id)
        return await self._catch_up(decider, aggregate_id, state, version)

    async def _catch_up[S](
        self, decider: Decider[S, Any, Any], aggregate_id: str, state: S, version: int
    ) -> tuple[S, int]:
        """`state` at `version`, moved on by the stream's events after that version."""
        rows = await self.store.read_stream_rows(decider.aggregate_type, aggregate_id, version)
        if not rows:
            return state, version
        state = fold(decider, state, self.codec(decider).decode_rows(rows))
        return state, rows[-1][1]

    async def handle[C](
        self,
        decider: Decider[Any, C, Any],
        aggregate_id: str,
        command: C,
        metadata: dict[str, str] | None = None,
    ) -> list[StoredEvent]:
        """Decide and append; `DomainError` passes through, conflicts are retried.

        Commands for one stream take turns in this process (first come, first served), so
        two busy tabs never race each other into retries; the expected-version check still
        guards against other processes. One coroutine per command on the hot path (the rare
        paths are helpers): each level costs its creation and a hop on every resume.
        """
        key = (decider.aggregate_type, aggregate_id)
        if key in self._turns:
            await self._wait_turn(key)
        else:
            self._turns[key] = None  # the common case: no queue, no future, no await
        try:
            cached = self._cache.get(key)
            fresh = cached is None  # read from the store during this call
            state, version = cached or await self.load(decider, aggregate_id)
            for attempt in range(1, self.max_attempts + 1):
                try:
                    events = decider.decide(state, command)
                except DomainError:
                    missed = await self._recheck_refusal(decider, key, state, version, fresh)
                    if missed is None:
                        raise
                    (state, version), fresh = missed, True
                    continue
                if not events:
                    return []
                codec = self._codecs.get(id(decider)) or self._add_codec(decider)
                new = codec[1].encode_all(events, self.new_id, metadata)
                try:
                    stored = await self.store.append(key[0], aggregate_id, version, new)
                except ConcurrencyError:
                    self._cache.evict(key)
                    if attempt == self.max_attempts:
                        raise
                    state, version = await self._catch_up(decider, aggregate_id, state, version)
                    fresh = True
                    continue
                snapshot = self._committed(decider, key, state, version, events, stored)
                if snapshot is not None:
                    await snapshot
                return stored
            raise ConcurrencyError(key[0], aggregate_id, -1, -1)  # pragma: no cover
        finally:
            if self._turns[key] is None:
                del self._turns[key]  # nobody waits: no method call
            else:
                self._pass_turn(key)

    async def _wait_turn(self, key: tuple[str, str]) -> None:
        waiting = self._turns[key]
        if waiting is None:
            waiting = self._turns[key] = deque()
        turn = asyncio.get_running_loop().create_future()
        waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._pass_turn(key)  # given the turn just as we were cancelled
            raise

    def _pass_turn(self, key: tuple[str, str]) -> None:
        waiting = self._turns[key]
        while waiting:
            turn = waiting.popleft()
            if not turn.done():  # cancelled waiters are skipped
                turn.set_result(None)
                return
        del self._turns[key]

    async def _recheck_refusal(
        self, decider: AnyDecider, key: tuple[str, str], state: Any, version: int, fresh: bool
    ) -> tuple[Any, int] | None:
        """`None` if the refusal stands, else the state caught up with the events it missed
        (decided on cached state: refuse only if no event is missing from it)."""
        if not fresh:
            missed = await self._catch_up(decider, key[1], state, version)
            if missed[1] != version:
                return missed
        self._cache.put(key, state, version)  # the refusal needs no replay next time
        return None

    def _committed(  # noqa: PLR0917 - private; one call site
        self,
        decider: AnyDecider,
        key: tuple[str, str],
        state: Any,
        version: int,
        events: Sequence[Any],
        stored: list[StoredEvent],
    ) -> Coroutine[Any, Any, None] | None:
        """Cache the new state and wake the bus (a plain call: no coroutine per command);
        returns the snapshot write to await when one is due."""
        new_state, evolve = state, decider.evolve
        for event in events:  # `fold`, inlined
            new_state = evolve(new_state, event)
        last = stored[-1]
        self._cache.put(key, new_state, last.sequence)
        if self.on_committed is not None:
            self.on_committed(last.position)
        every = self.snapshot_every
        if self.snapshots is None or last.sequence // every == version // every:
            return None
        return _snapshot(self.snapshots, decider, key[1], new_state, last.sequence)

    async def _from_snapshot[S](
        self, decider: Decider[S, Any, Any], aggregate_id: str
    ) -> tuple[S, int]:
        if self.snapshots is None:
            return decider.initial_state(), 0
        snap = await self.snapshots.get(decider.aggregate_type, aggregate_id)
        initial = decider.initial_state()
        if snap is None or snap.decider_version != decider.version:
            return initial, 0  # a snapshot from other code is worse than none
        try:
            return msgspec.json.decode(snap.state, type=type(initial)), snap.sequence
        except msgspec.DecodeError:
            # A snapshot is only a shortcut: an unreadable one must not fail the stream.
            _log.warning(
                "unreadable snapshot of %s/%s at sequence %d: replaying its events",
                decider.aggregate_type, aggregate_id, snap.sequence,
            )  # fmt: skip
            return initial, 0


async def _snapshot(
    snapshots: SnapshotStore,
    decider: AnyDecider,
    aggregate_id: str,
    new_state: Any,
    new_version: int,
) -> None:
    """Write a snapshot after a commit: a failure is logged, never raised (the command's
    events are stored; failing it now would invite a retry of a command that succeeded)."""
    try:
        snap = Snapshot(
            aggregate_type=decider.aggregate_type,
            aggregate_id=aggregate_id,
            decider_version=decider.version,
            sequence=new_version,
            state=msgspec.json.encode(new_state),
        )
        await snapshots.put(snap)
    except Exception:
        _log.exception("snapshot of %s/%s not written", decider.aggregate_type, aggregate_id)
