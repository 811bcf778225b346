"""In-memory read model of every counter, kept current by the projection runner.

Versions let streams tell whether a value changed since they last sent it, and let
`routes.PatchCache` render each change once for every subscriber.
"""

from __future__ import annotations

from collections.abc import Sequence

from ironstar.features.counter.domain import (
    GLOBAL_ID,
    Counter,
    CounterEvent,
    global_counter,
    session_counter,
)
from ironstar.kernel import EventCodec, EventRow, StoredEvent


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

    def apply_rows(self, rows: Sequence[EventRow]) -> None:
        """A batch of counter rows, in order (the runner filters them by type)."""
        global_type = global_counter.aggregate_type
        for position, aggregate_type, owner, sequence, *_ in rows:
            if aggregate_type == global_type:
                if owner == GLOBAL_ID:
                    self._global_position = position
            else:  # retired events count here too
                self._session_versions[owner] = sequence
        for _, aggregate_type, owner, _, event in self._codec.decode_event_rows(rows):
            if aggregate_type == global_type:
                if owner == GLOBAL_ID:
                    self._global = global_counter.evolve(self._global, event)
            else:
                self._sessions[owner] = session_counter.evolve(self.session(owner), event)
        self.position = rows[-1][0]

    def apply(self, event: StoredEvent) -> None:
        """One envelope (tests, tools): the same as a batch of one row."""
        if event.aggregate_type in self.aggregate_types:
            self.apply_rows([event.row()])

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
