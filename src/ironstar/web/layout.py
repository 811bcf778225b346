"""The page shell every feature renders into: head with hashed assets, navigation, main."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from htpy import (
    Element,
    Node,
    a,
    body,
    footer,
    head,
    header,
    html,
    li,
    link,
    main,
    meta,
    nav,
    script,
    span,
    title,
    ul,
)

from ironstar.web.assets import Assets
from ironstar.web.dev_reload import reload_attributes
from ironstar.web.icons import icon

DATASTAR_ENTRY = "vendor/datastar.js"
MAIN_ENTRY = "src/main.ts"
FAVICON_ENTRY = "src/favicon.svg"

# Datastar patches `$_conn` from the runtime's fetch events; the server renders no text,
# so a browser test sees the runtime is alive when the label appears.
CONNECTION_STATUS = (
    "$_conn = ['error', 'retrying', 'retries-failed'].includes(evt.detail.type)"
    " ? 'offline' : 'online'"
)


@dataclass(frozen=True, order=True)
class NavEntry:
    order: int
    label: str
    path: str
    icon: str


@dataclass(frozen=True)
class Layout:
    assets: Assets
    nav: Sequence[NavEntry]
    dev: bool = False

    def page(
        self,
        *,
        page_title: str,
        content: Node,
        current_path: str = "/",
        entries: Sequence[str] = (),
        body_attrs: dict[str, str] | None = None,
    ) -> Element:
        return html(lang="en")[
            self._head(page_title, entries),
            body({**(reload_attributes() if self.dev else {}), **(body_attrs or {})})[
                a(".skip-link", href="#content")["Skip to content"],
                self._header(current_path),
                main("#content.page", tabindex="-1")[content],
                footer(".site-footer")[
                    span["Ironstar · event-sourced hypermedia with Python and Datastar"],
                ],
            ],
        ]

    def _head(self, page_title: str, entries: Sequence[str]) -> Node:
        modules = [MAIN_ENTRY, *entries]
        return head[
            meta(charset="utf-8"),
            meta(name="viewport", content="width=device-width, initial-scale=1"),
            meta(name="color-scheme", content="light dark"),
            title[f"{page_title} · Ironstar"],
            link(rel="icon", type="image/svg+xml", href=self.assets.url(FAVICON_ENTRY)),
            [
                link(rel="stylesheet", href=css)
                for key in modules
                for css in self.assets.css_urls(key)
            ],
            script(type="module", src=self.assets.url(DATASTAR_ENTRY)),
            [script(type="module", src=self.assets.url(key)) for key in modules],
        ]

    def _header(self, current_path: str) -> Node:
        return header(".site-header")[
            a(".brand", href="/", aria_label="Ironstar home")[icon("star"), span["Ironstar"]],
            nav(aria_label="Examples")[
                ul[
                    (
                        li[
                            a(
                                href=entry.path,
                                aria_current="page" if entry.path == current_path else None,
                            )[icon(entry.icon), span[entry.label]]
                        ]
                        for entry in sorted(self.nav)
                    )
                ]
            ],
            span(
                ".connection",
                {
                    "role": "status",
                    "aria-live": "polite",
                    "data-signals:_conn": "''",
                    "data-text": "$_conn",
                    "data-on:datastar-fetch__window": CONNECTION_STATUS,
                },
            ),
        ]
