"""Event log markup: pure functions of stored events and of a replayed todo list.

Every Datastar expression here is a constant string. Event data (types, ids, payloads,
user text inside payloads) only ever reaches the page as escaped HTML text, never inside
a `data-*` attribute, so neither `<script>` nor `'+alert(1)+'` can run.
"""

from __future__ import annotations

import msgspec
from htpy import (
    Element,
    code,
    div,
    h1,
    h2,
    header,
    input,
    label,
    option,
    p,
    section,
    select,
    small,
    span,
    table,
    tbody,
    td,
    th,
    thead,
    time,
    tr,
)

from ironstar.features.todo.domain import TodoList
from ironstar.features.todo.views import todo_region
from ironstar.kernel import StoredEvent

ROWS = "#event-rows"
# The select opens the stream and reopens it when the filter changes: requests from one
# element cancel each other, so there is never more than one tail per page. `always`
# also reconnects after a clean end (a server restart), sending `Last-Event-ID`.
OPEN_TAIL = "@get('/api/events', {retry: 'always'})"
# Set the signal before the request, whatever order the bind and this listener run in.
REOPEN_TAIL = f"$aggregate_type = el.value; {OPEN_TAIL}"
# Sends the `position` signal; the answer patches `#time-travel`.
TRAVEL = "@get('/api/events/at')"
# The range's max was the last position when the page loaded; before a drag, stretch it to
# the newest row's position (a number the server rendered, never user text).
GROW_RANGE = (
    "el.max = Math.max(+el.max,"
    " +(document.querySelector('#event-rows tr[id] .position')?.textContent || 0))"
)
COLUMNS = (
    ("position", "#"),
    ("time", "Time"),
    ("aggregate", "Aggregate"),
    ("type", "Event"),
    ("payload", "Payload"),
)


def event_log_page(*, known_types: list[str], last_position: int) -> Element:
    signals = msgspec.json.encode({"aggregate_type": "", "position": last_position})
    return section(".event-log", {"data-signals": signals.decode()})[
        header(".page-header")[
            h1["Event log"],
            p[
                "Every event in the store, newest first, live. Reconnects resume after the"
                " last event seen, with exactly the missed ones."
            ],
        ],
        filter_control(known_types),
        time_travel_panel(last_position),
        event_table(),
    ]


def filter_control(known_types: list[str]) -> Element:
    return div(".event-log-controls")[
        label(for_="aggregate-type")["Aggregate type"],
        select(
            "#aggregate-type",
            {
                "data-bind:aggregate_type": True,
                "data-init": OPEN_TAIL,
                "data-on:change": REOPEN_TAIL,
            },
        )[
            option(value="")["All"],
            (option(value=name)[name] for name in known_types),
        ],
    ]


def event_table() -> Element:
    return table(aria_label="Stored events")[
        thead[tr[(th(f".{cls}", scope="col")[text] for cls, text in COLUMNS)]],
        tbody(ROWS)[tr(".empty")[td(colspan=str(len(COLUMNS)))["Waiting for events…"]]],
    ]


def event_row(event: StoredEvent) -> Element:
    """One immutable row; its id lets a test (or a morph) find it by position."""
    return tr(f"#event-{event.position}")[
        td(".position")[str(event.position)],
        td(".time")[time(datetime=event.created_at)[_clock(event.created_at)]],
        td(".aggregate")[
            span(".aggregate-type")[event.aggregate_type],
            " ",
            code(".aggregate-id")[event.aggregate_id],
        ],
        td(".type")[event.event_type, " ", small(".event-version")[f"v{event.event_version}"]],
        td(".payload")[code[event.payload.decode("utf-8", "replace")]],
    ]


def time_travel_panel(last_position: int) -> Element:
    """The view loads when the panel scrolls into view (`data-on-intersect__once`)."""
    return section(".time-travel-panel", aria_labelledby="time-travel-title")[
        h2("#time-travel-title")["Time travel"],
        p["Pick a position to see your todo list as it was right after that event."],
        div(".time-travel-controls")[
            label(for_="travel-range")["Position"],
            input(
                "#travel-range",
                {
                    "type": "range",
                    "min": "0",
                    "max": str(last_position),
                    "data-bind:position": True,
                    "data-on:input__debounce.150ms": TRAVEL,
                    "data-on:pointerdown": GROW_RANGE,
                    "data-on:focus": GROW_RANGE,
                    "data-indicator:_traveling": True,
                },
            ),
            input(
                "#travel-position",
                {
                    "type": "number",
                    "min": "0",
                    "aria-label": "Position (number)",
                    "data-bind:position": True,
                    "data-on:input__debounce.300ms": TRAVEL,
                    "data-indicator:_traveling": True,
                },
            ),
            span(".muted", {"style": "display: none", "data-show": "$_traveling"})["loading…"],
        ],
        div("#time-travel", {"data-on-intersect__once": TRAVEL}, aria_live="polite")[
            p(".muted")["Loading…"]
        ],
    ]


def time_travel_view(*, position: int, todos: TodoList) -> Element:
    """A read-only copy: `inert` blocks input, `data-ignore` keeps Datastar from binding
    the todo view's expressions; the markup is the live view's, fed a past state."""
    count = len(todos.items)
    return div("#time-travel", aria_live="polite")[
        p(".time-travel-caption")[
            f"Your list after position {position}: {count} todo{'' if count == 1 else 's'}."
        ],
        div(".todoapp.time-travel-view", {"inert": True, "data-ignore": True})[
            todo_region(todos=todos, filter_="all")
        ],
    ]


def time_travel_error(message: str) -> Element:
    return div("#time-travel", aria_live="polite")[p(".error", role="alert")[message]]


def _clock(created_at: str) -> str:
    """`2026-11-27T10:11:12.345678+00:00` → `10:11:12` (the full value is in `datetime`)."""
    _, _, rest = created_at.partition("T")
    return rest[:8] or created_at
