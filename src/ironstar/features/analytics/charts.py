"""Chart JSON, built by code from query results (never from user text in an expression).

Vega-Lite specs are static (a spec change re-embeds the view); only their data moves.
ECharts options carry their data, so the whole option is rebuilt on each update.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ironstar.infra.analytics.queries import (
    COMPLETION_LABELS,
    Activity,
    Completion,
    MixRow,
    OwnerRow,
)

VEGA_LITE = "https://vega.github.io/schema/vega-lite/v6.json"
DIM = 0.3  # opacity of bars outside the cross-filter selection

_encode = msgspec.json.Encoder().encode


def to_json(value: Any) -> str:
    return _encode(value).decode()


def activity_spec() -> dict[str, Any]:
    return {
        "$schema": VEGA_LITE,
        "data": {"name": "table"},
        "width": "container",
        "height": 240,
        "mark": {"type": "line", "point": True, "interpolate": "monotone"},
        "encoding": {
            "x": {"field": "bucket", "type": "temporal", "title": None},
            "y": {"field": "count", "type": "quantitative", "title": "events"},
            "color": {"field": "event_type", "type": "nominal", "title": "event"},
            "tooltip": [
                {
                    "field": "bucket",
                    "type": "temporal",
                    "timeUnit": "yearmonthdatehoursminutesseconds",
                },
                {"field": "event_type", "type": "nominal"},
                {"field": "count", "type": "quantitative"},
            ],
        },
    }


def activity_data(activity: Activity) -> list[dict[str, Any]]:
    return [msgspec.structs.asdict(row) for row in activity.rows]


def completion_spec() -> dict[str, Any]:
    return {
        "$schema": VEGA_LITE,
        "data": {"name": "table"},
        "width": "container",
        "height": 240,
        "mark": {"type": "bar", "cornerRadiusEnd": 3},
        "encoding": {
            "x": {
                "field": "label",
                "type": "ordinal",
                "sort": list(COMPLETION_LABELS),
                "title": "time from added to completed",
                "axis": {"labelAngle": 0},
            },
            "y": {"field": "count", "type": "quantitative", "title": "todos"},
            "tooltip": [{"field": "label"}, {"field": "count", "type": "quantitative"}],
        },
    }


def completion_data(completion: Completion) -> list[dict[str, Any]]:
    return [msgspec.structs.asdict(b) for b in completion.buckets]


def mix_option(rows: list[MixRow], *, selected: str) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "item"},
        "grid": {"left": 48, "right": 16, "top": 16, "bottom": 72},
        "xAxis": {
            "type": "category",
            "data": [r.event_type for r in rows],
            "axisLabel": {"rotate": 30, "interval": 0},
        },
        "yAxis": {"type": "value"},
        "series": [
            {
                "type": "bar",
                "name": "events",
                "data": [_bar(r.count, selected in ("", r.event_type)) for r in rows],
            }
        ],
    }


def owners_option(rows: list[OwnerRow], *, selected: str) -> dict[str, Any]:
    ordered = list(reversed(rows))  # ECharts draws the first category at the bottom
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 140, "right": 16, "top": 32, "bottom": 24},
        "xAxis": {"type": "value"},
        "yAxis": {
            "type": "category",
            "data": [r.owner for r in ordered],
            "axisLabel": {"width": 120, "overflow": "truncate"},
        },
        "series": [
            {
                "type": "bar",
                "name": name,
                "stack": "owner",
                "data": [
                    _bar(value, selected in ("", r.owner))
                    for r, value in zip(ordered, values, strict=True)
                ],
            }
            for name, values in (
                ("added", [r.added for r in ordered]),
                ("completed", [r.completed for r in ordered]),
                ("other", [r.events - r.added - r.completed for r in ordered]),
            )
        ],
    }


def _bar(value: int, active: bool) -> dict[str, Any]:
    return {"value": value, "itemStyle": {"opacity": 1 if active else DIM}}
