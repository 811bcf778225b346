"""TodoMVC markup as htpy components: pure functions of a `TodoList` and a filter.

Datastar expressions here are constant strings: todo ids reach them through
`el.closest('li').dataset.id`, user text only ever as escaped HTML.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from htpy import (
    Element,
    Node,
    a,
    button,
    div,
    footer,
    h1,
    header,
    input,
    label,
    li,
    p,
    section,
    span,
    strong,
    ul,
)
from markupsafe import Markup

from ironstar.features.todo.domain import Todo, TodoList

type Filter = Literal["all", "active", "completed"]
FILTERS: dict[str, Filter] = {"all": "all", "active": "active", "completed": "completed"}
FILTER_LINKS: tuple[tuple[Filter, str, str], ...] = (
    ("all", "#/", "All"),
    ("active", "#/active", "Active"),
    ("completed", "#/completed", "Completed"),
)

TODO_URL = "'/api/todos/' + el.closest('li').dataset.id"
# The hash is the filter (TodoMVC routing); reopening the stream re-renders for it.
READ_FILTER = (
    "$filter = ({'#/active': 'active', '#/completed': 'completed'})[location.hash] || 'all'"
)
OPEN_STREAM = f"{READ_FILTER}; @get('/api/todos', {{retry: 'always'}})"
ADD_ON_ENTER = "evt.key === 'Enter' && !evt.isComposing && @post('/api/todos')"
START_EDIT = (
    "$editing = el.closest('li').dataset.id;"
    " requestAnimationFrame(() => el.closest('li').querySelector('.edit').focus())"
)
EDIT_KEYS = (
    "evt.key === 'Enter' ? el.blur()"
    " : evt.key === 'Escape' && ($editing = '', el.value = el.defaultValue)"
)
SAVE_EDIT = (
    f"$editing === el.closest('li').dataset.id"
    f" && ($editing = '', @put({TODO_URL}, {{payload: {{text: el.value}}}}))"
)
TOGGLE = f"@post({TODO_URL} + '/toggle', {{payload: {{completed: el.checked}}}})"
DESTROY = f"@delete({TODO_URL})"
TOGGLE_ALL = "@post('/api/todos/toggle-all', {payload: {completed: el.checked}})"
CLEAR = "@post('/api/todos/clear-completed')"
MOVE = "@post('/api/todos/' + evt.detail.id + '/move', {payload: {to_index: evt.detail.to}})"


def todo_app(*, todos: TodoList, filter_: Filter = "all", error: str = "") -> Element:
    return section(".todoapp", {"data-signals": "{input: '', editing: '', filter: 'all'}"})[
        header(".header")[
            h1["todos"],
            input(
                "#new-todo.new-todo",
                {
                    "placeholder": "What needs to be done?",
                    "autofocus": True,
                    "aria-label": "New todo",
                    "aria-describedby": "todo-error",
                    "maxlength": "10000",
                    "data-bind:input": True,
                    "data-on:keydown": ADD_ON_ENTER,
                    "data-indicator:_saving": True,
                    # The stream may show the new item before the POST's answer clears
                    # the box; read-only (not disabled: focus stays) until it has.
                    "data-attr:readonly": "$_saving",
                    "aria-busy": "false",
                    "data-attr:aria-busy": "$_saving",
                },
            ),
            error_message(error),
        ],
        div(
            "#todo-stream",
            {"data-init": OPEN_STREAM, "data-on:hashchange__window": OPEN_STREAM},
        ),
        todo_region(todos=todos, filter_=filter_),
    ]


def error_message(message: str) -> Element:
    return p("#todo-error.error", role="alert", aria_live="assertive", hidden=not message)[message]


def todo_region(*, todos: TodoList, filter_: Filter) -> Element:
    """`#todos`: what the stream patches on every change (a fat morph)."""
    has_items = bool(todos.items)
    return div("#todos")[
        section(".main", hidden=not has_items)[
            input(
                "#toggle-all.toggle-all",
                {
                    "type": "checkbox",
                    "checked": has_items and todos.active_count == 0,
                    "data-on:change": TOGGLE_ALL,
                },
            ),
            label(for_="toggle-all")["Mark all as complete"],
            todo_list(todos=todos, filter_=filter_),
        ],
        _footer_html(todos.active_count, todos.completed_count, filter_) if has_items else None,
    ]


def todo_list(*, todos: TodoList, filter_: Filter) -> Node:
    visible = [t for t in todos.items if _shown(t, filter_)]
    items = ul(".todo-list", aria_label="Todos")[[_item_html(t) for t in visible]]
    if filter_ != "all":
        return items  # reordering a filtered view would be ambiguous
    return Element("sortable-list")({"container": ".todo-list", "data-on:reorder": MOVE})[items]


def todo_item(*, todo: Todo) -> Element:
    return li(
        f"#todo-{todo.id}",
        {
            "data-id": todo.id,
            "class": "completed" if todo.completed else None,
            "data-class:editing": "$editing === el.dataset.id",
        },
    )[
        div(".view")[
            input(
                ".toggle",
                {"type": "checkbox", "checked": todo.completed, "data-on:change": TOGGLE},
                aria_label=f"Toggle {todo.text}",
            ),
            label({"data-on:dblclick": START_EDIT})[todo.text],
            button(".destroy", {"data-on:click": DESTROY}, aria_label=f"Delete {todo.text}"),
        ],
        input(
            ".edit",
            {"value": todo.text, "data-on:keydown": EDIT_KEYS, "data-on:blur": SAVE_EDIT},
            aria_label=f"Edit {todo.text}",
        ),
    ]


@lru_cache(maxsize=2048)
def _item_html(todo: Todo) -> Markup:
    """`todo_item` rendered once per todo state: a change re-renders the whole list (fat
    morph), usually with one item changed, and each item costs ~0.1 ms to render."""
    return todo_item(todo=todo).__html__()  # escaped by htpy: Markup, inserted as is


@lru_cache(maxsize=256)
def _footer_html(left: int, completed: int, filter_: Filter) -> Markup:
    """The footer depends on two counts and the filter only: rendered once per triple."""
    return todo_footer(left=left, completed=completed, filter_=filter_).__html__()


def todo_footer(*, left: int, completed: int, filter_: Filter) -> Element:
    return footer(".footer")[
        span(".todo-count", aria_live="polite")[
            strong[str(left)], " item" if left == 1 else " items", " left"
        ],
        ul(".filters")[
            (
                li[a({"href": href, "class": "selected" if key == filter_ else None})[text]]
                for key, href, text in FILTER_LINKS
            )
        ],
        button(".clear-completed", {"data-on:click": CLEAR})["Clear completed"]
        if completed
        else None,
    ]


def _shown(todo: Todo, filter_: Filter) -> bool:
    return filter_ == "all" or (filter_ == "completed") == todo.completed
