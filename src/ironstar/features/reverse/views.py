"""Reverse markup: Datastar drives a vanilla web component through local signals.

`_name` and `_reversed` start with `_`, so Datastar never sends them to the server; the
component (`web-components/src/components/reverse-text.ts`) does the work and reports
back with a `reversed` CustomEvent.
"""

from __future__ import annotations

from htpy import Element, Node, div, h2, input, label, output, p, section

REVERSE_TEXT = "reverse-text"  # the custom element's tag


def reverse_app() -> Element:
    return section(".reverse-app", {"data-signals": "{_name: '', _reversed: ''}"})[
        p(".reverse-note")[
            "Nothing here reaches the server: the input binds a local signal, the component "
            "reverses it, and its event writes a second signal."
        ],
        div(".reverse-field")[
            label(for_="reverse-input")["Text to reverse"],
            input(
                "#reverse-input",
                {"type": "text", "autocomplete": "off", "data-bind:_name": True},
            ),
        ],
        h2["The component shows"],
        reverse_text(),
        h2["Its event reported"],
        output(
            "#reverse-reported.reverse-reported",
            {"data-text": "$_reversed", "aria-live": "polite", "for": "reverse-input"},
        ),
    ]


def reverse_text() -> Node:
    return Element(REVERSE_TEXT)(
        "#reverse-shown.reverse-shown",
        {"data-attr:text": "$_name", "data-on:reversed": "$_reversed = evt.detail.value"},
    )
