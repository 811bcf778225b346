"""Time travel: an owner's todo list as it was at a global position, replayed from the log.

Views are pure functions of state, so the past renders with the same `todo_region` the
live page uses; only the state comes from a prefix of the owner's stream.
"""

from __future__ import annotations

from ironstar.features.todo.domain import TodoEvent, TodoList, todo_list
from ironstar.kernel import EventCodec, EventStore, fold


async def todos_at(
    store: EventStore, codec: EventCodec[TodoEvent], owner: str, position: int
) -> TodoList:
    """Replay `owner`'s todo list up to and including `position`."""
    stored = await store.read_stream(todo_list.aggregate_type, owner)
    upto = [event for event in stored if event.position <= position]
    return fold(todo_list, todo_list.initial_state(), codec.decode_all(upto))
