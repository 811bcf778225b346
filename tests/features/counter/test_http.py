"""The counter endpoints through the real app on a live server."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from html import unescape

import httpx
import pytest

from tests.conftest import LiveServer

DS = {"datastar-request": "true"}
TIMEOUT = httpx.Timeout(10, read=5)


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=TIMEOUT) as client:
        client.get("/counter")  # the page sets the session cookie
        yield client


def signals_until(client: httpx.Client, key: str, expected: int) -> list[dict[str, int]]:
    """Read the stream's signal patches until `key` equals `expected` (or the read times out)."""
    seen: list[dict[str, int]] = []
    with client.stream("GET", "/api/counter/stream", headers=DS) as response:
        assert response.headers["content-type"] == "text/event-stream"
        for line in response.iter_lines():
            if line.startswith("data: signals "):
                seen.append(json.loads(line.removeprefix("data: signals ")))
                if seen[-1].get(key) == expected:
                    return seen
    raise AssertionError(f"stream ended before {key}={expected}; saw {seen}")


def post(client: httpx.Client, path: str, **headers: str) -> httpx.Response:
    return client.post(f"/api/counter/{path}", json={}, headers={**DS, **headers})


def test_the_page_renders_the_current_values_as_signals(client: httpx.Client) -> None:
    assert post(client, "global/increment").status_code == 204
    html = unescape(client.get("/counter").text)
    assert 'data-signals="{"global":1,"session":0' in html
    assert (
        'data-text="$global" aria-live="polite" aria-labelledby="counter-global-title">1<' in html
    )
    assert 'data-text="$global"' in html
    assert "data-indicator:_busy-global" in html
    assert "@get('/api/counter/stream', {requestCancellation: 'disabled', retry: 'always'})" in html


def test_the_stream_starts_with_both_values(client: httpx.Client) -> None:
    seen = signals_until(client, "global", 0)
    assert {"session": 0} in seen


def test_the_global_patch_carries_its_position_as_id(client: httpx.Client) -> None:
    post(client, "global/increment")
    position = client.get("/healthz").json()["position"]
    with client.stream("GET", "/api/counter/stream", headers=DS) as response:
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if '"global"' in line:
                break
    assert lines[-3:] == [
        "event: datastar-patch-signals",
        f"id: {position}",
        'data: signals {"global":1}',
    ]


def test_increment_decrement_and_reset_are_events(client: httpx.Client) -> None:
    before = client.get("/healthz").json()["position"]
    for action in ("increment", "increment", "decrement"):
        assert post(client, f"global/{action}").status_code == 204
    signals_until(client, "global", 1)
    assert post(client, "global/reset").status_code == 204
    signals_until(client, "global", 0)
    assert client.get("/healthz").json()["position"] == before + 4
    assert post(client, "global/reset").status_code == 204  # nothing to reset: no event
    assert client.get("/healthz").json()["position"] == before + 4


def test_each_session_has_its_own_counter(live: LiveServer, client: httpx.Client) -> None:
    post(client, "session/increment")
    post(client, "session/increment")
    signals_until(client, "session", 2)
    with httpx.Client(base_url=live.url, timeout=TIMEOUT) as other:
        other.get("/counter")
        post(other, "session/decrement")
        signals_until(other, "session", -1)
    signals_until(client, "session", 2)


def test_one_post_reaches_two_open_streams(live: LiveServer, client: httpx.Client) -> None:
    """Both streams are open (and have sent 0) before the POST; both then see 1."""
    results: queue.Queue[list[dict[str, int]] | BaseException] = queue.Queue()
    ready = threading.Barrier(3, timeout=10)

    def watch() -> None:
        try:
            with httpx.Client(base_url=live.url, timeout=TIMEOUT) as other:
                other.get("/counter")
                results.put(_watch_for_one(other, ready))
        except BaseException as exc:  # reported to the test thread
            results.put(exc)

    threads = [threading.Thread(target=watch) for _ in range(2)]
    for thread in threads:
        thread.start()
    ready.wait()
    assert post(client, "global/increment").status_code == 204
    for thread in threads:
        thread.join(timeout=10)
    for _ in threads:
        seen = results.get(timeout=1)
        assert not isinstance(seen, BaseException), seen
        assert [s["global"] for s in seen if "global" in s] == [0, 1]


def _watch_for_one(client: httpx.Client, ready: threading.Barrier) -> list[dict[str, int]]:
    seen: list[dict[str, int]] = []
    with client.stream("GET", "/api/counter/stream", headers=DS) as response:
        for line in response.iter_lines():
            if line.startswith("data: signals "):
                seen.append(json.loads(line.removeprefix("data: signals ")))
                if seen[-1].get("global") == 0:
                    ready.wait()
                if seen[-1].get("global") == 1:
                    return seen
    raise AssertionError(f"stream ended early; saw {seen}")


def test_unknown_scope_or_action_answers_404(client: httpx.Client) -> None:
    assert post(client, "global/explode").status_code == 404
    assert post(client, "everyone/increment").status_code == 404


@pytest.mark.parametrize("body", [b"{not json", b"[1]"])
def test_malformed_signals_answer_400(client: httpx.Client, body: bytes) -> None:
    response = client.post(
        "/api/counter/global/increment",
        content=body,
        headers={**DS, "content-type": "application/json"},
    )
    assert response.status_code == 400


def test_a_cross_site_command_answers_403_and_changes_nothing(client: httpx.Client) -> None:
    before = client.get("/healthz").json()["position"]
    assert post(client, "global/increment", **{"sec-fetch-site": "cross-site"}).status_code == 403
    assert client.get("/healthz").json()["position"] == before
