"""In-memory read model: every owner's todo list, kept current by the projection runner.

Streams compare an owner's version with the one they last rendered, so a change to one
list wakes every stream but re-renders only the lists it touched.
"""

from __future__ import annotations

from collections.abc import Sequence

from ironstar.features.todo.domain import TodoEvent, TodoList, todo_list
from ironstar.kernel import EventCodec, EventRow, StoredEvent

_EMPTY = TodoList()


class TodoLists:
    name = "todo_lists"
    aggregate_types = frozenset({todo_list.aggregate_type})

    def __init__(self, codec: EventCodec[TodoEvent]) -> None:
        self._codec = codec
        self._lists: dict[str, TodoList] = {}
        self._versions: dict[str, int] = {}
        self._changed_at: dict[str, int] = {}
        self.position = 0

    def apply_rows(self, rows: Sequence[EventRow]) -> None:
        """A batch of this aggregate type's rows, in order (the runner filters them): no
        envelope per event, which keeps a start-up replay of a long log short."""
        lists, evolve = self._lists, todo_list.evolve
        for _, _, owner, _, event in self._codec.decode_event_rows(rows):
            lists[owner] = evolve(lists.get(owner, _EMPTY), event)
        versions, changed_at = self._versions, self._changed_at
        for position, _, owner, sequence, *_ in rows:  # retired events count here too
            versions[owner] = sequence
            changed_at[owner] = position

    def apply(self, event: StoredEvent) -> None:
        """One envelope (tests, tools): the same as a batch of one row."""
        if event.aggregate_type in self.aggregate_types:
            self.apply_rows([event.row()])

    def get(self, owner: str) -> TodoList:
        return self._lists.get(owner, TodoList())

    def version(self, owner: str) -> int:
        return self._versions.get(owner, 0)

    def changed_at(self, owner: str) -> int:
        """The global position of the owner's latest event: the SSE id of its view."""
        return self._changed_at.get(owner, 0)

    def reset(self) -> None:
        self._lists.clear()
        self._versions.clear()
        self._changed_at.clear()
        self.position = 0
