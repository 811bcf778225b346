"""The todo decider, given/when/then."""

from __future__ import annotations

import pytest

from ironstar.features.todo.domain import (
    MAX_TEXT,
    AddTodo,
    ClearCompleted,
    CompletedCleared,
    CompleteTodo,
    DeleteTodo,
    InvalidText,
    MoveTodo,
    RenameTodo,
    ReopenTodo,
    Todo,
    TodoAdded,
    TodoCompleted,
    TodoDeleted,
    TodoEvent,
    TodoList,
    TodoMoved,
    TodoNotFound,
    TodoRenamed,
    TodoReopened,
    ToggleAll,
    todo_list,
)
from ironstar.kernel.testing import given


def test_adding_a_todo_trims_its_text_and_keeps_inner_spaces() -> None:
    given(todo_list).when(AddTodo("a", "  buy   milk ")).then(TodoAdded("a", "buy   milk"))


@pytest.mark.parametrize("text", ["", "   ", "x" * (MAX_TEXT + 1)])
def test_adding_empty_or_oversized_text_is_refused(text: str) -> None:
    given(todo_list).when(AddTodo("a", text)).then_error(InvalidText)


def test_renaming_to_blank_deletes_the_todo() -> None:
    given(todo_list, TodoAdded("a", "x")).when(RenameTodo("a", "  ")).then(TodoDeleted("a"))


def test_renaming_to_the_same_text_emits_nothing() -> None:
    given(todo_list, TodoAdded("a", "x")).when(RenameTodo("a", " x ")).then()


def test_renaming_changes_the_text() -> None:
    given(todo_list, TodoAdded("a", "x")).when(RenameTodo("a", "y")).then(TodoRenamed("a", "y"))


def test_completing_twice_emits_once() -> None:
    given(todo_list, TodoAdded("a", "x"), TodoCompleted("a")).when(CompleteTodo("a")).then()


def test_reopening_a_completed_todo_emits_todo_reopened() -> None:
    given(todo_list, TodoAdded("a", "x"), TodoCompleted("a")).when(ReopenTodo("a")).then(
        TodoReopened("a")
    )


@pytest.mark.parametrize(
    "command", [CompleteTodo("zz"), DeleteTodo("zz"), RenameTodo("zz", "t"), MoveTodo("zz", 0)]
)
def test_commands_on_an_unknown_todo_are_refused(
    command: CompleteTodo | DeleteTodo | RenameTodo | MoveTodo,
) -> None:
    given(todo_list, TodoAdded("a", "x")).when(command).then_error(TodoNotFound)


def test_toggle_all_completes_only_the_active_ones() -> None:
    given(todo_list, TodoAdded("a", "x"), TodoAdded("b", "y"), TodoCompleted("a")).when(
        ToggleAll(completed=True)
    ).then(TodoCompleted("b"))


def test_clear_completed_removes_completed_todos() -> None:
    given(todo_list, TodoAdded("a", "x"), TodoAdded("b", "y"), TodoCompleted("b")).when(
        ClearCompleted()
    ).then(CompletedCleared(("b",))).then_state(TodoList((Todo("a", "x"),)))


def test_moving_reorders_the_list() -> None:
    given(todo_list, TodoAdded("a", "x"), TodoAdded("b", "y"), TodoAdded("c", "z")).when(
        MoveTodo("c", 0)
    ).then(TodoMoved("c", 0)).then_state(TodoList((Todo("c", "z"), Todo("a", "x"), Todo("b", "y"))))


def test_moving_out_of_range_is_refused() -> None:
    given(todo_list, TodoAdded("a", "x")).when(MoveTodo("a", 5)).then_error(InvalidText)


def test_the_list_keeps_its_ids_in_step_with_its_items_through_every_event() -> None:
    """`ids` is derived (lookups at C speed): each event must leave it matching the items."""
    events: list[TodoEvent] = [
        TodoAdded("a", "x"), TodoAdded("b", "y"), TodoAdded("c", "z"), TodoCompleted("b"),
        TodoMoved("c", 0), TodoRenamed("a", "x2"), TodoReopened("b"), TodoCompleted("a"),
        CompletedCleared(("a",)), TodoDeleted("c"), TodoAdded("d", "w"), TodoMoved("d", 0),
    ]  # fmt: skip
    state = TodoList()
    for event in events:
        state = todo_list.evolve(state, event)
        assert state.ids == tuple(t.id for t in state.items)
        assert all(state.index(t.id) == i for i, t in enumerate(state.items))
    assert state == TodoList((Todo("d", "w"), Todo("b", "y")))  # ids out of equality
    assert state.index("gone") is None
    assert state.find("b") == Todo("b", "y")
