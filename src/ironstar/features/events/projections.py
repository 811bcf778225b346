"""A small index over the whole log: the aggregate types it holds and where each type's
latest events are, so a new tail can start "50 events ago" without scanning the log.

Memory is bounded: one short deque of positions per aggregate type (and one for all).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from ironstar.kernel import EventRow, StoredEvent

BACKLOG = 50


class EventIndex:
    name = "event_log_index"
    aggregate_types: frozenset[str] | None = None  # every event

    def __init__(self, backlog: int = BACKLOG) -> None:
        self.backlog = backlog
        self.position = 0
        self._recent: dict[str | None, deque[int]] = {}

    def apply_rows(self, rows: Sequence[EventRow]) -> None:
        every = self._recent.get(None)
        if every is None:
            every = self._recent[None] = deque(maxlen=self.backlog)
        for position, aggregate_type, *_ in rows:
            every.append(position)
            recent = self._recent.get(aggregate_type)
            if recent is None:
                recent = self._recent[aggregate_type] = deque(maxlen=self.backlog)
            recent.append(position)

    def apply(self, event: StoredEvent) -> None:
        """One envelope (tests, tools): the same as a batch of one row."""
        self.apply_rows([event.row()])

    def known_types(self) -> list[str]:
        return sorted(key for key in self._recent if key is not None)

    def backlog_start(self, aggregate_type: str | None = None) -> int:
        """The position to read after so the tail shows the last `backlog` events."""
        recent = self._recent.get(aggregate_type)
        if recent is None or len(recent) < self.backlog:
            return 0  # the whole (filtered) log is shorter than the backlog
        return recent[0] - 1

    def reset(self) -> None:
        self._recent.clear()
        self.position = 0
