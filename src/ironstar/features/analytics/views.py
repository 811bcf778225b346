"""Dashboard markup: controls, KPI tiles and four chart cards, each with its data table.

Chart data travels as local signals (`$_charts.*`, JSON strings never sent back to the
server) and reaches each chart through `data-attr`. The chart elements carry
`data-ignore-morph`, so a morph never touches a drawn chart; the stream moves the data
by patching signals, and the components update their views in place.

Each chart's numbers are also a table under it (`<details>` "Show data", see
`tables.py`), rendered from the same query rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import htpy
import msgspec
from htpy import (
    Element,
    button,
    dd,
    div,
    dl,
    dt,
    h2,
    label,
    option,
    p,
    section,
    select,
    span,
)

from ironstar.features.analytics import charts
from ironstar.features.analytics.tables import (
    Answers,
    activity_table,
    completion_table,
    duration,
    mix_table,
    owners_table,
)
from ironstar.infra.analytics.queries import RANGES, Filters, Summary

STREAM_URL = "/api/analytics/stream"
# `data-effect` re-runs when a filter signal changes; the new request from the same
# element cancels the previous stream, so the open stream always has the latest filters.
OPEN_STREAM = f"$range; $owner; $eventType; @get('{STREAM_URL}', {{retry: 'always'}})"
RANGE_LABELS = {
    "15m": "Last 15 minutes",
    "1h": "Last hour",
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "all": "All time",
}
# Clicking a selected bar again clears the selection (toggle).
PICK_EVENT_TYPE = "$eventType = $eventType === evt.detail.name ? '' : evt.detail.name"
PICK_OWNER = "$owner = $owner === evt.detail.name ? '' : evt.detail.name"
CLEAR = "$owner = ''; $eventType = ''"


class ChartData(msgspec.Struct, frozen=True):
    """Per chart, the JSON its element receives (Vega data rows or an ECharts option)."""

    activity: str
    completion: str
    mix: str
    owners: str


def analytics_app(
    *,
    filters: Filters,
    summary: Summary,
    median: float | None,
    data: ChartData,
    answers: Answers,
) -> Element:
    signals = {
        "range": filters.range,
        "owner": filters.owner,
        "eventType": filters.event_type,
        "_charts": data,
    }
    return section(".analytics-app", {"data-signals": charts.to_json(signals)})[
        div("#analytics-stream", {"data-effect": OPEN_STREAM}),
        controls(),
        summary_region(summary=summary, median=median),
        div(".dashboard")[
            chart_card(
                title="Activity",
                meta="Events per time bucket, by type",
                chart=vega_chart(
                    key="activity",
                    label="Activity",
                    spec=charts.activity_spec(),
                    data=data.activity,
                ),
                table=activity_table(answers.activity),
                wide=True,
            ),
            chart_card(
                title="Event mix",
                meta="Click a bar to filter the other charts by event type",
                chart=echarts_chart(
                    key="mix", label="Event mix", option=data.mix, on_select=PICK_EVENT_TYPE
                ),
                table=mix_table(answers.mix),
            ),
            chart_card(
                title="Busiest owners",
                meta="Click a bar to filter the other charts by owner",
                chart=echarts_chart(
                    key="owners", label="Busiest owners", option=data.owners, on_select=PICK_OWNER
                ),
                table=owners_table(answers.owners),
            ),
            chart_card(
                title="Completion time",
                meta="From added to first completed",
                chart=vega_chart(
                    key="completion",
                    label="Completion time",
                    spec=charts.completion_spec(),
                    data=data.completion,
                ),
                table=completion_table(answers.completion),
                wide=True,
            ),
        ],
    ]


def controls() -> Element:
    return div(".analytics-controls")[
        label(for_="analytics-range")["Time range"],
        select("#analytics-range", {"data-bind:range": ""})[
            (option(value=key)[text] for key, text in RANGE_LABELS.items() if key in RANGES)
        ],
        span(".analytics-filter", {"data-show": "$eventType"})[
            "event type: ", span({"data-text": "$eventType"})
        ],
        span(".analytics-filter", {"data-show": "$owner"})[
            "owner: ", span({"data-text": "$owner"})
        ],
        button(
            "#analytics-clear",
            {"type": "button", "data-show": "$owner || $eventType", "data-on:click": CLEAR},
        )["Clear filters"],
    ]


def summary_region(*, summary: Summary, median: float | None) -> Element:
    tiles = (
        ("events", "Events", f"{summary.events:,}"),
        ("owners", "Owners", f"{summary.owners:,}"),
        ("added", "Todos added", f"{summary.added:,}"),
        ("completed", "Todos completed", f"{summary.completed:,}"),
        ("median", "Median time to complete", "—" if median is None else duration(median)),
    )
    return section("#analytics-summary.card.kpi", aria_label="Summary")[
        dl(".analytics-kpis")[
            (div(f"#kpi-{key}")[dt[text], dd[value]] for key, text, value in tiles)
        ]
    ]


def chart_card(
    *, title: str, meta: str, chart: Element, table: Element, wide: bool = False
) -> Element:
    return section(".chart-card.wide" if wide else ".chart-card", aria_label=title)[
        h2[title],
        p(".chart-meta")[meta],
        chart,
        htpy.details(".chart-data")[htpy.summary["Show data"], table],  # `summary` is a KPI
    ]


# The first value is rendered as the attribute too, so the first frame needs no signal.
def vega_chart(*, key: str, label: str, spec: Mapping[str, Any], data: str) -> Element:
    attrs: dict[str, str | bool] = {"data-ignore-morph": True, "data-attr:data": f"$_charts.{key}"}
    return htpy.vega_chart(
        f"#chart-{key}", attrs, spec=charts.to_json(spec), data=data, label=label
    )


def echarts_chart(*, key: str, label: str, option: str, on_select: str) -> Element:
    attrs: dict[str, str | bool] = {
        "data-ignore-morph": True,
        "data-attr:option": f"$_charts.{key}",
        "data-on:select": on_select,
    }
    return htpy.echarts_chart(f"#chart-{key}", attrs, option=option, label=label)
