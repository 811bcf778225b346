"""The charts' data tables: each chart's numbers, from the same query rows as the chart.

Under each chart, `<details>` "Show data" holds one of these (closed by default): what
assistive technology reads, and what anyone can copy. The stream patches the tables'
containers (`#data-*`), never the `<details>`, so a table the reader opened stays open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec
from htpy import Element, caption, div, table, tbody, td, th, thead, tr

from ironstar.infra.analytics.queries import Activity, Completion, MixRow, OwnerRow


class Answers(msgspec.Struct, frozen=True):
    """The query rows behind the charts: their tables are rendered from these."""

    activity: Activity
    completion: Completion
    mix: list[MixRow]
    owners: list[OwnerRow]


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


def duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
