"""Todo list: commands, events and the pure decider (one list per session owner).

Ids come in with the commands; nothing here reads a clock or a random source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec

from ironstar.kernel import DomainError, FunctionDecider

MAX_TEXT = 500


# -- Commands ---------------------------------------------------------------------------
class AddTodo(msgspec.Struct, frozen=True, tag=True):
    todo_id: str
    text: str


class RenameTodo(msgspec.Struct, frozen=True, tag=True):
    todo_id: str
    text: str


class CompleteTodo(msgspec.Struct, frozen=True, tag=True):
    todo_id: str


class ReopenTodo(msgspec.Struct, frozen=True, tag=True):
    todo_id: str


class DeleteTodo(msgspec.Struct, frozen=True, tag=True):
    todo_id: str


class MoveTodo(msgspec.Struct, frozen=True, tag=True):
    todo_id: str
    to_index: int


class ToggleAll(msgspec.Struct, frozen=True, tag=True):
    completed: bool


class ClearCompleted(msgspec.Struct, frozen=True, tag=True):
    pass


TodoCommand = (
    AddTodo
    | RenameTodo
    | CompleteTodo
    | ReopenTodo
    | DeleteTodo
    | MoveTodo
    | ToggleAll
    | ClearCompleted
)


# -- Events -----------------------------------------------------------------------------
class TodoAdded(msgspec.Struct, frozen=True, tag=True):
    todo_id: str
    text: str


class TodoRenamed(msgspec.Struct, frozen=True, tag=True):
    todo_id: str
    text: str


class TodoCompleted(msgspec.Struct, frozen=True, tag=True):
    todo_id: str


class TodoReopened(msgspec.Struct, frozen=True, tag=True):
    todo_id: str


class TodoDeleted(msgspec.Struct, frozen=True, tag=True):
    todo_id: str


class TodoMoved(msgspec.Struct, frozen=True, tag=True):
    todo_id: str
    to_index: int


class CompletedCleared(msgspec.Struct, frozen=True, tag=True):
    todo_ids: tuple[str, ...]


TodoEvent = (
    TodoAdded
    | TodoRenamed
    | TodoCompleted
    | TodoReopened
    | TodoDeleted
    | TodoMoved
    | CompletedCleared
)


# -- Errors -----------------------------------------------------------------------------
class InvalidText(DomainError):
    pass


class TodoNotFound(DomainError):
    pass


class DuplicateTodo(DomainError):
    pass


# -- State ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Todo:
    id: str
    text: str
    completed: bool = False


@dataclass(frozen=True, slots=True)
class TodoList:
    items: tuple[Todo, ...] = field(default=())
    # The items' ids in order: lookups by `tuple.index`, at C speed (a replay updates
    # items of lists hundreds long). Derived, so out of equality and repr; `evolve`
    # passes it on when the ids did not change, otherwise it is computed here.
    ids: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.items):
            object.__setattr__(self, "ids", tuple(t.id for t in self.items))

    def index(self, todo_id: str) -> int | None:
        try:
            return self.ids.index(todo_id)
        except ValueError:
            return None

    def find(self, todo_id: str) -> Todo | None:
        i = self.index(todo_id)
        return None if i is None else self.items[i]

    @property
    def active_count(self) -> int:
        return sum(not t.completed for t in self.items)

    @property
    def completed_count(self) -> int:
        return len(self.items) - self.active_count


# -- Decide -----------------------------------------------------------------------------
def clean_text(text: str) -> str:
    # TodoMVC's spec trims and keeps the inside as typed ("a  b" stays "a  b").
    cleaned = text.strip()
    if not cleaned:
        raise InvalidText("A todo needs some text.")
    if len(cleaned) > MAX_TEXT:
        raise InvalidText(f"A todo is at most {MAX_TEXT} characters (this one has {len(cleaned)}).")
    return cleaned


def decide(state: TodoList, command: TodoCommand) -> Sequence[TodoEvent]:
    match command:
        case AddTodo(todo_id, text):
            if state.find(todo_id):
                raise DuplicateTodo("That todo already exists.")
            return [TodoAdded(todo_id, clean_text(text))]
        case RenameTodo(todo_id, text):
            todo = _existing(state, todo_id)
            if not text.strip():  # TodoMVC: saving an empty edit deletes the todo
                return [TodoDeleted(todo_id)]
            cleaned = clean_text(text)
            return [] if cleaned == todo.text else [TodoRenamed(todo_id, cleaned)]
        case CompleteTodo(todo_id):
            return [] if _existing(state, todo_id).completed else [TodoCompleted(todo_id)]
        case ReopenTodo(todo_id):
            return [TodoReopened(todo_id)] if _existing(state, todo_id).completed else []
        case DeleteTodo(todo_id):
            _existing(state, todo_id)
            return [TodoDeleted(todo_id)]
        case MoveTodo(todo_id, to_index):
            return _move(state, todo_id, to_index)
        case ToggleAll(completed):
            event = TodoCompleted if completed else TodoReopened
            return [event(t.id) for t in state.items if t.completed != completed]
        case ClearCompleted():
            done = tuple(t.id for t in state.items if t.completed)
            return [CompletedCleared(done)] if done else []


def _existing(state: TodoList, todo_id: str) -> Todo:
    todo = state.find(todo_id)
    if todo is None:
        raise TodoNotFound("That todo no longer exists.")
    return todo


def _move(state: TodoList, todo_id: str, to_index: int) -> Sequence[TodoEvent]:
    _existing(state, todo_id)
    if not 0 <= to_index < len(state.items):
        raise InvalidText(f"Cannot move to position {to_index}.")
    return [] if state.index(todo_id) == to_index else [TodoMoved(todo_id, to_index)]


# -- Evolve -----------------------------------------------------------------------------
def evolve(state: TodoList, event: TodoEvent) -> TodoList:
    items = state.items
    match event:
        case TodoAdded(todo_id, text):
            return TodoList((*items, Todo(todo_id, text)), (*state.ids, todo_id))
        case TodoRenamed(todo_id, text):
            return _update(state, todo_id, text, None)
        case TodoCompleted(todo_id):
            return _update(state, todo_id, None, True)
        case TodoReopened(todo_id):
            return _update(state, todo_id, None, False)
        case TodoDeleted(todo_id):
            return TodoList(tuple(t for t in items if t.id != todo_id))
        case TodoMoved(todo_id, to_index):
            moving = [t for t in items if t.id == todo_id]
            rest = [t for t in items if t.id != todo_id]
            return TodoList((*rest[:to_index], *moving, *rest[to_index:]))
        case CompletedCleared(todo_ids):
            gone = set(todo_ids)
            return TodoList(tuple(t for t in items if t.id not in gone))


def _update(state: TodoList, todo_id: str, text: str | None, completed: bool | None) -> TodoList:
    """The list with one item changed, same ids (a replay folds hundreds of thousands of
    these into lists hundreds long: found by `index`, rebuilt by slicing)."""
    i = state.index(todo_id)
    if i is None:
        return state
    items = state.items
    t = items[i]
    changed = Todo(
        todo_id,
        t.text if text is None else text,
        t.completed if completed is None else completed,
    )
    return TodoList((*items[:i], changed, *items[i + 1 :]), state.ids)


todo_list = FunctionDecider[TodoList, TodoCommand, TodoEvent](
    aggregate_type="todo_list",
    event_types=TodoEvent,
    initial=TodoList,
    decide_fn=decide,
    evolve_fn=evolve,
)
