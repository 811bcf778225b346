"""Monitor markup: a grid of readings whose numbers are signals (`$monitor.*`).

The page renders the latest sample as text, so it reads right before the stream
connects; after that only the numbers change, through `data-text` and `data-attr`.
"""

from __future__ import annotations

import msgspec
from htpy import Element, dd, div, dl, dt, h2, meter, p, section, span

from ironstar.features.monitor.sampler import Sample

STREAM_URL = "/api/monitor/stream"
OPEN_STREAM = f"@get('{STREAM_URL}', {{requestCancellation: 'disabled', retry: 'always'}})"

# (field, label, unit) per reading; the field names are constants, never user text.
SYSTEM = (
    ("cpu_percent", "CPU", "%"),
    ("memory_percent", "Memory", "%"),
    ("memory_used_mb", "Memory used", "MB"),
    ("load_1", "Load (1 min)", ""),
    ("load_5", "Load (5 min)", ""),
    ("load_15", "Load (15 min)", ""),
)
APP = (
    ("open_streams", "Open SSE streams", ""),
    ("bus_subscribers", "Bus subscribers", ""),
    ("position", "Store position", ""),
    ("events_per_second", "Events per second", "/s"),
    ("projection_lag", "Projection lag", "events"),
    ("store_size", "Store size", ""),
    ("sessions", "Sessions", ""),
    ("cache_hits", "Analytics cache hits", ""),
    ("cache_misses", "Analytics cache misses", ""),
)

# Readings that turn amber (a `data-class` toggled by the signal itself).
WARN = {"projection_lag": {"data-class:monitor-warn": "$monitor.projection_lag > 0"}}


def monitor_app(*, sample: Sample) -> Element:
    signals = msgspec.json.encode({"monitor": sample}).decode()
    return section(".monitor-app", {"data-signals": signals})[
        div("#monitor-stream", {"data-init": OPEN_STREAM}),
        p(".monitor-note")["Sampled once a second on the server and pushed as signal patches."],
        div(".monitor-gauges")[
            gauge(field="cpu_percent", label="CPU", value=sample.cpu_percent),
            gauge(field="memory_percent", label="Memory", value=sample.memory_percent),
        ],
        readings(title="System", rows=SYSTEM, sample=sample),
        readings(title="This app", rows=APP, sample=sample),
    ]


def gauge(*, field: str, label: str, value: float) -> Element:
    return div(".monitor-gauge")[
        span(f"#gauge-{field}-label")[label],
        meter(
            {"data-attr:value": f"$monitor.{field}", "aria-labelledby": f"gauge-{field}-label"},
            min="0",
            max="100",
            high="80",
            value=str(value),
        ),
    ]


def readings(*, title: str, rows: tuple[tuple[str, str, str], ...], sample: Sample) -> Element:
    values = msgspec.structs.asdict(sample)
    return section(".monitor-readings", aria_label=title)[
        h2[title],
        dl[
            (
                div(f"#reading-{field}.monitor-reading", WARN.get(field, {}))[
                    dt[label],
                    dd[span({"data-text": f"$monitor.{field}"})[str(values[field])], f" {unit}"],
                ]
                for field, label, unit in rows
            )
        ],
    ]
