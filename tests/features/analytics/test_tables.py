"""The charts' data tables, rendered from query rows (no server needed)."""

from __future__ import annotations

import re

from ironstar.features.analytics.tables import activity_table, completion_table, mix_table
from ironstar.infra.analytics.queries import (
    Activity,
    ActivityRow,
    Completion,
    CompletionBucket,
)


def cells(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in rows]


def test_activity_is_one_row_per_bucket_and_one_column_per_event_type() -> None:
    rows = [
        ActivityRow("2026-11-27T08:00:00Z", "TodoAdded", 1200),
        ActivityRow("2026-11-27T08:00:00Z", "TodoCompleted", 3),
        ActivityRow("2026-11-27T08:05:00Z", "TodoCompleted", 4),
    ]
    html = str(activity_table(Activity(300, rows)))
    assert "<caption" in html
    assert "Events per 5 minutes, by type</caption>" in html
    assert cells(html) == [
        ["Time (UTC)", "TodoAdded", "TodoCompleted"],
        ["2026-11-27 08:00", "1,200", "3"],
        ["2026-11-27 08:05", "0", "4"],  # no TodoAdded in that bucket: 0, not a gap
    ]
    seconds = str(activity_table(Activity(5, rows[:1])))
    assert "Events per 5 seconds" in seconds
    assert "2026-11-27 08:00:00</th>" in seconds


def test_an_empty_answer_says_so() -> None:
    assert cells(str(mix_table([]))) == [["Event type", "Events"], ["No data in this range"]]


def test_the_completion_caption_carries_the_median() -> None:
    buckets = [CompletionBucket("< 0.1 s", 0), CompletionBucket("0.1-1 s", 2)]
    html = str(completion_table(Completion(buckets, 0.5)))
    assert "(median 500 ms)</caption>" in html
    assert cells(html)[1:] == [["&lt; 0.1 s", "0"], ["0.1-1 s", "2"]]
    assert "median" not in str(completion_table(Completion(buckets, None)))
