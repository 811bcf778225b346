"""Counter markup: the values are signals, so the page is rendered once and the stream
only patches numbers (`data-text`), never elements.

Every expression here is a constant string; the only server data in the page is two
integers inside `data-signals`, serialized as JSON.
"""

from __future__ import annotations

import msgspec
from htpy import Element, article, button, div, h2, output, p, section, span

from ironstar.web.icons import icon

STREAM_URL = "/api/counter/stream"
OPEN_STREAM = f"@get('{STREAM_URL}', {{requestCancellation: 'disabled', retry: 'always'}})"
ACTIONS = (("decrement", "\N{MINUS SIGN}", "Decrease"), ("increment", "+", "Increase"))


def counter_app(*, global_value: int, session_value: int) -> Element:
    signals = msgspec.json.encode(
        {"global": global_value, "session": session_value, "counterError": ""}
    )
    return section(".counter-app", {"data-signals": signals.decode()})[
        div("#counter-stream", {"data-init": OPEN_STREAM}),
        counter_card(
            scope="global",
            value=global_value,
            title="Everyone's counter",
            note="One counter for all visitors; every change is an event, pushed to every tab.",
        ),
        counter_card(
            scope="session",
            value=session_value,
            title="Your counter",
            note="Your session's own counter, also event-sourced; your other tabs follow it.",
        ),
        p(
            "#counter-error.error",
            {
                "role": "alert",
                "style": "display: none",  # until Datastar runs data-show
                "data-text": "$counterError",
                "data-show": "$counterError",
            },
        ),
    ]


def counter_card(*, scope: str, value: int, title: str, note: str) -> Element:
    """The value is rendered as text too, so the page reads right before Datastar runs."""
    busy = f"_busy-{scope}"  # Datastar camel-cases the key: `$_busyGlobal`
    return article(f"#counter-{scope}.counter-card", {"data-attr:aria-busy": f"${_camel(busy)}"})[
        h2(f"#counter-{scope}-title")[title],
        output(
            ".counter-value",
            {"data-text": f"${scope}", "aria-live": "polite"},
            aria_labelledby=f"counter-{scope}-title",
        )[str(value)],
        div(".counter-buttons", role="group", aria_label=title)[
            (_action_button(scope, action, text, label, busy) for action, text, label in ACTIONS),
            _action_button(scope, "reset", "Reset", "Reset", busy),
        ],
        span(".counter-saving", {"style": "display: none", "data-show": f"${_camel(busy)}"})[
            icon("loader"), " saving…"
        ],
        p(".counter-note")[note],
    ]


def _action_button(scope: str, action: str, text: str, label: str, busy: str) -> Element:
    return button(
        f".counter-{action}",
        {
            "type": "button",
            "aria-label": f"{label} ({scope})",
            "data-on:click": f"$counterError = ''; @post('/api/counter/{scope}/{action}')",
            f"data-indicator:{busy}": True,
        },
    )[text]


def _camel(key: str) -> str:
    head, *rest = key.split("-")
    return head + "".join(part.capitalize() for part in rest)
