"""Lucide icons, inlined as SVG at render time from the build's `icons.json`.

The build scans the source for `icon("name")` calls and fails on a name Lucide lacks,
so only the icons in use ship and a typo never reaches a page.
"""

from __future__ import annotations

from markupsafe import Markup

_icons: dict[str, str] = {}


def register_icons(icons: dict[str, str]) -> None:
    _icons.clear()
    _icons.update(icons)


def icon(name: str, *, label: str | None = None) -> Markup:
    svg = _icons.get(name)
    if svg is None:
        return Markup("")  # the build guarantees names; an unbuilt dev tree just shows none
    aria = f' role="img" aria-label="{Markup.escape(label)}"' if label else ' aria-hidden="true"'
    # The SVG comes from our own build (lucide-static), never from user input.
    return Markup(svg.replace("<svg", f'<svg class="icon"{aria}', 1))  # noqa: S704
