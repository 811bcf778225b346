"""In-memory read model: every owner's todo list, kept current by the projection runner.

Streams compare an owner's version with the one they last rendered, so a change to one
list wakes every stream but re-renders only the lists it touched.
"""

from __future__ import annotations

from ironstar.features.todo.domain import TodoEvent, TodoList, todo_list
from ironstar.kernel import EventCodec, StoredEvent


class TodoLists:
    name = "todo_lists"
    aggregate_types = frozenset({todo_list.aggregate_type})

    def __init__(self, codec: EventCodec[TodoEvent]) -> None:
        self._codec = codec
        self._lists: dict[str, TodoList] = {}
        self._versions: dict[str, int] = {}
        self._changed_at: dict[str, int] = {}
        self.position = 0

    def apply(self, event: StoredEvent) -> None:
        if event.aggregate_type == todo_list.aggregate_type:
            owner = event.aggregate_id
            decoded = self._codec.decode(event)
            if decoded is not None:  # None: an upcaster retired this event
                self._lists[owner] = todo_list.evolve(self.get(owner), decoded)
            self._versions[owner] = event.sequence
            self._changed_at[owner] = event.position

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
