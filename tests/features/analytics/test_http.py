"""The dashboard page and its stream through the real app on a live server."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from html import unescape
from typing import Any

import httpx
import pytest

from ironstar.infra.analytics.queries import COMPLETION_LABELS
from tests.conftest import LiveServer

DS = {"datastar-request": "true"}
TIMEOUT = httpx.Timeout(10, read=10)


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=TIMEOUT) as client:
        client.get("/")  # a session, so commands are accepted
        yield client


def add(client: httpx.Client, text: str) -> None:
    assert client.post("/api/todos", json={"input": text}, headers=DS).status_code == 200


def chart_signals(lines: Iterator[str]) -> dict[str, Any]:
    """The next `_charts` signal patch of a stream, with each chart's JSON decoded."""
    for line in lines:
        if line.startswith("data: signals "):
            charts = json.loads(line.removeprefix("data: signals "))["_charts"]
            return {key: json.loads(value) for key, value in charts.items()}
    raise AssertionError("stream ended before a chart patch")


def added(charts: dict[str, Any]) -> int:
    return sum(r["count"] for r in charts["activity"] if r["event_type"] == "TodoAdded")


def test_the_page_has_four_charts_of_both_kinds_and_opens_the_stream(client: httpx.Client) -> None:
    add(client, "first")
    html = unescape(client.get("/analytics").text)
    assert html.startswith("<!doctype html><html")
    assert html.count("<vega-chart") == 2
    assert html.count("<echarts-chart") == 2
    assert html.count("data-ignore-morph") == 4
    assert "@get('/api/analytics/stream', {retry: 'always'})" in html
    assert 'data-bind:range=""' in html
    assert 'href="/analytics" aria-current="page"' in html
    assert "assets/analytics-abc123.js" in html  # the chart components' entry
    assert '"$schema":"https://vega.github.io/schema/vega-lite/v6.json"' in html


def until_added(lines: Iterator[str], count: int) -> dict[str, Any]:
    """Patches until the activity chart counts `count` added todos (the projection lags a bit)."""
    while added(charts := chart_signals(lines)) < count:
        pass
    assert added(charts) == count
    return charts


def test_the_stream_sends_new_data_after_a_command(client: httpx.Client) -> None:
    add(client, "one")
    with client.stream("GET", "/api/analytics/stream", headers=DS) as response:
        assert response.headers["content-type"] == "text/event-stream"
        lines = response.iter_lines()
        until_added(lines, 1)
        threading.Timer(0.1, add, (client, "two")).start()
        until_added(lines, 2)


def test_filters_come_from_signals_and_bad_values_fall_back(client: httpx.Client) -> None:
    add(client, "mine")
    with client.stream("GET", "/api/analytics/stream", headers=DS) as response:
        lines = response.iter_lines()
        (owner,) = until_added(lines, 1)["owners"]["yAxis"]["data"]
    signals = {"range": "forever", "owner": owner, "eventType": "TodoAdded"}
    params = {"datastar": json.dumps(signals)}
    with client.stream("GET", "/api/analytics/stream", params=params, headers=DS) as response:
        charts = chart_signals(response.iter_lines())
    assert charts["owners"]["yAxis"]["data"] == [owner]
    assert [d["itemStyle"]["opacity"] for d in charts["owners"]["series"][0]["data"]] == [1]
    assert {r["event_type"] for r in charts["activity"]} == {"TodoAdded"}
    other = {"owner": "someone-else", "eventType": "TodoAdded"}
    params = {"datastar": json.dumps(other)}
    with client.stream("GET", "/api/analytics/stream", params=params, headers=DS) as response:
        charts = chart_signals(response.iter_lines())
    assert charts["activity"] == []  # the cross-filter applies to the other charts
    assert [d["itemStyle"]["opacity"] for d in charts["owners"]["series"][0]["data"]] == [0.3]


def test_malformed_signals_are_a_400(client: httpx.Client) -> None:
    response = client.get("/api/analytics/stream", params={"datastar": "{"}, headers=DS)
    assert response.status_code == 400


def test_user_text_never_reaches_an_expression(client: httpx.Client) -> None:
    add(client, "</script><img src=x onerror=alert(1)> ' \" $owner = 1")
    html = client.get("/analytics").text
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in unescape(html.split("data-signals=")[0])


def test_the_cache_stats_are_published_for_the_monitor(live: LiveServer) -> None:
    stats = live.app.state.services.extras["analytics_cache"]
    with httpx.Client(base_url=live.url, timeout=TIMEOUT) as client:
        client.get("/analytics")
        client.get("/analytics")
    assert stats.hits >= 5  # the second page's five queries
    assert stats.misses >= 5


@pytest.mark.parametrize("path", ["/analytics?range=7d", "/analytics?owner=%3Cb%3E"])
def test_the_page_accepts_filters_in_the_query_string(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 200


def table_rows(html: str, key: str) -> dict[str, list[str]]:
    """The `#data-<key>` table as {row header: [cells]}, from page or patch HTML."""
    start = html.index(f'id="data-{key}"')
    body = html[start : html.index("</table>", start)]
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', body)
    return {head: re.findall(r'<td class="num">(.*?)</td>', cells) for head, cells in rows}


def page_with(client: httpx.Client, key: str, rows: dict[str, list[str]]) -> str:
    """The dashboard page once its `key` table shows `rows` (the projection lags a bit)."""
    for _ in range(200):
        html = unescape(client.get("/analytics").text)
        if table_rows(html, key) == rows:
            return html
        time.sleep(0.05)
    raise AssertionError(f"the {key} table never showed {rows}")


def test_each_chart_has_a_data_table_with_its_numbers(client: httpx.Client) -> None:
    add(client, "one")
    add(client, "two")
    html = page_with(client, "mix", {"TodoAdded": ["2"]})
    assert html.count('<details class="chart-data"><summary>Show data</summary>') == 4
    assert html.count('<caption id="caption-') == 4
    ((owner, cells),) = table_rows(html, "owners").items()
    assert cells == ["2", "2", "0"]  # events, added, completed
    assert sum(int(r[0]) for r in table_rows(html, "activity").values()) == 2
    assert 'scope="col" class="num">TodoAdded</th>' in html  # one column per event type
    completion = table_rows(html, "completion")
    assert list(completion) == list(COMPLETION_LABELS)  # the chart's buckets, in order
    assert {c for cells in completion.values() for c in cells} == {"0"}  # none completed yet
    assert owner in html.split('id="data-owners"')[1]


def table_patch(lines: Iterator[str], key: str) -> str:
    """The next element patch of the `#data-<key>` table."""
    for line in lines:
        if line.startswith("data: elements ") and f'id="data-{key}"' in line:
            return unescape(line.removeprefix("data: elements "))
    raise AssertionError("stream ended before a table patch")


def test_the_stream_keeps_the_tables_live(client: httpx.Client) -> None:
    add(client, "one")
    with client.stream("GET", "/api/analytics/stream", headers=DS) as response:
        lines = response.iter_lines()
        while table_rows(table_patch(lines, "mix"), "mix") != {"TodoAdded": ["1"]}:
            pass
        threading.Timer(0.1, add, (client, "two")).start()
        while table_rows(table_patch(lines, "mix"), "mix") != {"TodoAdded": ["2"]}:
            pass
