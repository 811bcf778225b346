"""In-memory read model of every counter, kept current by the projection runner.

Versions let streams tell whether a value changed since they last sent it, and let
`routes.PatchCache` render each change once for every subscriber.
"""

from __future__ import annotations

from ironstar.features.counter.domain import (
    GLOBAL_ID,
    Counter,
    CounterEvent,
    global_counter,
    session_counter,
)
from ironstar.kernel import EventCodec, StoredEvent


class Counters:
    name = "counters"
    aggregate_types = frozenset({global_counter.aggregate_type, session_counter.aggregate_type})

    def __init__(self, codec: EventCodec[CounterEvent]) -> None:
        self._codec = codec
        self._global = Counter()
        self._global_position = 0
        self._sessions: dict[str, Counter] = {}
        self._session_versions: dict[str, int] = {}
        self.position = 0

    def apply(self, event: StoredEvent) -> None:
        decoded = self._codec.decode(event)
        if event.aggregate_type == global_counter.aggregate_type:
            if event.aggregate_id == GLOBAL_ID:
                if decoded is not None:  # None: an upcaster retired this event
                    self._global = global_counter.evolve(self._global, decoded)
                self._global_position = event.position
        elif event.aggregate_type == session_counter.aggregate_type:
            owner = event.aggregate_id
            if decoded is not None:  # None: an upcaster retired this event
                self._sessions[owner] = session_counter.evolve(self.session(owner), decoded)
            self._session_versions[owner] = event.sequence
        self.position = event.position

    @property
    def global_value(self) -> int:
        return self._global.value

    @property
    def global_version(self) -> int:
        """The position of the last global event: changes exactly when the value does."""
        return self._global_position

    def session(self, owner: str) -> Counter:
        return self._sessions.get(owner, Counter())

    def session_version(self, owner: str) -> int:
        return self._session_versions.get(owner, 0)

    def reset(self) -> None:
        self._global = Counter()
        self._global_position = 0
        self._sessions.clear()
        self._session_versions.clear()
        self.position = 0
