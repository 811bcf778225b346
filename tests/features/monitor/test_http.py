"""The monitor page and stream through the real app on a live server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import unescape
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer

DS = {"datastar-request": "true"}
TIMEOUT = httpx.Timeout(10, read=5)


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=TIMEOUT) as client:
        yield client


def read_samples(client: httpx.Client, count: int) -> list[dict[str, Any]]:
    """The `monitor` signal of the stream's first `count` patches (one a second)."""
    samples: list[dict[str, Any]] = []
    with client.stream("GET", "/api/monitor/stream", headers=DS) as response:
        assert response.headers["content-type"] == "text/event-stream"
        for line in response.iter_lines():
            if line.startswith("data: signals "):
                samples.append(json.loads(line.removeprefix("data: signals "))["monitor"])
                if len(samples) == count:
                    return samples
    raise AssertionError(f"stream ended after {len(samples)} samples")


def test_the_page_shows_the_latest_sample_and_opens_the_stream(client: httpx.Client) -> None:
    html = unescape(client.get("/monitor").text)
    assert "@get('/api/monitor/stream', {requestCancellation: 'disabled', retry: 'always'})" in html
    assert 'data-text="$monitor.cpu_percent"' in html
    assert '"monitor":{"cpu_percent":' in html
    assert 'href="/monitor" aria-current="page"' in html


def test_the_stream_pushes_a_new_sample_every_second(client: httpx.Client) -> None:
    first, second = read_samples(client, 2)
    assert set(first) >= {"cpu_percent", "memory_percent", "load_1", "projection_lag"}
    assert 0 <= second["cpu_percent"] <= 100
    assert second["memory_total_mb"] > 0
    assert second["open_streams"] >= 1  # this stream
    # The analytics feature publishes its cache stats; the monitor shows them as counts.
    assert isinstance(second["cache_hits"], int)


def test_sessions_and_the_store_show_up_in_the_app_metrics(client: httpx.Client) -> None:
    """Events per second are checked in test_sampler (no other feature needed here)."""
    client.get("/monitor")  # a page visit creates a session
    samples = read_samples(client, 3)
    assert samples[-1]["sessions"] >= 1
    assert samples[-1]["store_bytes"] > 0
    assert samples[-1]["projection_lag"] == 0


def test_two_viewers_get_the_same_bytes_from_one_sampler(live: LiveServer) -> None:
    with (
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as a,
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as b,
        a.stream("GET", "/api/monitor/stream", headers=DS) as one,
        b.stream("GET", "/api/monitor/stream", headers=DS) as two,
    ):
        lines_one, lines_two = one.iter_lines(), two.iter_lines()
        # A tick lands between the two connects at most once in a while: compare the
        # next sample each receives after both are open.
        tail_one = [_next_signals(lines_one) for _ in range(3)]
        tail_two = [_next_signals(lines_two) for _ in range(3)]
    assert set(tail_one[1:]) & set(tail_two)


def _next_signals(lines: Iterator[str]) -> str:
    return next(line for line in lines if line.startswith("data: signals "))


def test_the_stream_refuses_writes(client: httpx.Client) -> None:
    assert client.post("/api/monitor/stream", json={}).status_code == 405
    cross = client.post("/api/monitor/stream", json={}, headers={"sec-fetch-site": "cross-site"})
    assert cross.status_code == 403
