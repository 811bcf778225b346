"""Dashboard markup: controls, KPI tiles and four chart cards, each with its data table.

Chart data travels as local signals (`$_charts.*`, JSON strings never sent back to the
server) and reaches each chart through `data-attr`. The chart elements carry
`data-ignore-morph`, so a morph never touches a drawn chart; the stream moves the data
by patching signals, and the components update their views in place.

Each chart's numbers are also a table under it (`<details>` "Show data", closed by
default), rendered here from the same query rows: what assistive technology reads, and
what anyone can copy. The stream patches the tables' contents (`#data-*`), never the
`<details>`, so a table the reader opened stays open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import htpy
import msgspec
from htpy import (
    Element,
    button,
    caption,
    dd,
    details,
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
    summary,
    table,
    tbody,
    td,
    th,
    thead,
    tr,
)

from ironstar.features.analytics import charts
from ironstar.infra.analytics.queries import (
    RANGES,
    Activity,
    Completion,
    Filters,
    MixRow,
    OwnerRow,
    Summary,
)

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


class Answers(msgspec.Struct, frozen=True):
    """The query rows behind the charts: their tables are rendered from these."""

    activity: Activity
    completion: Completion
    mix: list[MixRow]
    owners: list[OwnerRow]


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
        details(".chart-data")[summary["Show data"], table],
    ]


def data_tables(answers: Answers) -> list[Element]:
    """The four tables' containers, for the stream to patch (morph by id)."""
    return [
        activity_table(answers.activity),
        mix_table(answers.mix),
        owners_table(answers.owners),
        completion_table(answers.completion),
    ]


def activity_table(activity: Activity) -> Element:
    """One row per time bucket, one column per event type (the chart's lines)."""
    types = sorted({r.event_type for r in activity.rows})
    counts: dict[str, dict[str, int]] = {}
    for r in activity.rows:
        counts.setdefault(r.bucket, {})[r.event_type] = r.count
    rows: list[list[str | int]] = [
        [_bucket(bucket, activity.bucket_seconds), *(by.get(t, 0) for t in types)]
        for bucket, by in counts.items()
    ]
    return data_table(
        key="activity",
        title=f"Events per {_span(activity.bucket_seconds)}, by type",
        head=["Time (UTC)", *types],
        rows=rows,
    )


def mix_table(rows: Sequence[MixRow]) -> Element:
    return data_table(
        key="mix",
        title="Events per type",
        head=["Event type", "Events"],
        rows=([r.event_type, r.count] for r in rows),
    )


def owners_table(rows: Sequence[OwnerRow]) -> Element:
    return data_table(
        key="owners",
        title="Owners with the most todo events",
        head=["Owner", "Events", "Added", "Completed"],
        rows=([r.owner, r.events, r.added, r.completed] for r in rows),
    )


def completion_table(completion: Completion) -> Element:
    median = completion.median_seconds
    title = "Todos by time from added to first completed" + (
        "" if median is None else f" (median {duration(median)})"
    )
    return data_table(
        key="completion",
        title=title,
        head=["Time to complete", "Todos"],
        rows=([b.label, b.count] for b in completion.buckets),
    )


def data_table(
    *, key: str, title: str, head: Sequence[str], rows: Iterable[Sequence[str | int]]
) -> Element:
    """A captioned table; the first column heads each row, numbers align right."""
    body = [
        tr[
            (
                th(scope="row")[cell]
                if i == 0
                else td(".num")[f"{cell:,}" if isinstance(cell, int) else cell]
                for i, cell in enumerate(row)
            )
        ]
        for row in rows
    ]
    empty = tr[td(colspan=str(len(head)))["No data in this range"]]
    # A narrow card scrolls the table sideways: the region takes focus so a keyboard can
    # scroll it too (axe: scrollable-region-focusable), named by the caption.
    region = {"role": "region", "tabindex": "0", "aria-labelledby": f"caption-{key}"}
    return div(f"#data-{key}.table-wrap", region)[
        table[
            caption(f"#caption-{key}")[title],
            thead[tr[(th(scope="col", class_="num" if i else "")[h] for i, h in enumerate(head))]],
            tbody[body or empty],
        ]
    ]


def _bucket(bucket: str, seconds: int) -> str:
    """`2026-11-27T08:15:00Z` → `2026-11-27 08:15` (seconds only for sub-minute buckets)."""
    text = bucket.removesuffix("Z").replace("T", " ")
    return text if seconds < 60 else text[:16]


def _span(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return unit if n == 1 else f"{n} {unit}s"
    return "second" if seconds == 1 else f"{seconds} seconds"


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


def duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
