"""`GET /api/events/at`: the session owner's todo list as it was at a position."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import LiveServer
from tests.features.events.support import DS, TIMEOUT, Sse, add, parse, position, todo_ids


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=TIMEOUT) as client:
        client.get("/events")  # the page sets the session cookie
        yield client


def at(client: httpx.Client, value: object, **headers: str) -> httpx.Response:
    return client.get("/api/events/at", params={"position": str(value)}, headers=headers)


def view(response: httpx.Response) -> Sse:
    assert response.status_code == 200, response.text
    events = list(parse(iter(response.text.splitlines())))
    assert len(events) == 1
    assert events[0].event == "datastar-patch-elements"
    return events[0]


def test_the_view_at_a_position_shows_the_state_then(client: httpx.Client) -> None:
    p1 = add(client, "buy milk")
    (todo,) = todo_ids(client)
    assert client.put(f"/api/todos/{todo}", json={"text": "buy oat milk"}, headers=DS).is_success
    p2 = position(client)
    toggle = client.post(f"/api/todos/{todo}/toggle", json={"completed": True}, headers=DS)
    assert toggle.is_success
    p3 = position(client)
    assert p1 < p2 < p3

    before = view(at(client, p1)).elements
    assert "buy milk" in before
    assert "buy oat milk" not in before
    middle = view(at(client, p2)).elements
    assert "buy oat milk" in middle
    assert 'class="completed"' not in middle
    after = view(at(client, p3)).elements
    assert 'class="completed"' in after
    assert view(at(client, 0)).elements.count("<li") == 0


def test_the_copy_is_read_only(client: httpx.Client) -> None:
    add(client, "a")
    elements = view(at(client, 1)).elements
    assert elements.startswith('<div id="time-travel"')
    assert '<div class="todoapp time-travel-view" inert data-ignore>' in elements
    assert "after position 1: 1 todo." in elements


def test_the_position_may_come_from_the_signals(client: httpx.Client) -> None:
    add(client, "first")
    add(client, "second")
    response = client.get("/api/events/at", params={"datastar": '{"position": 1}'}, headers=DS)
    elements = view(response).elements
    assert "first" in elements
    assert "second" not in elements


def test_time_travel_shows_only_the_current_sessions_list(
    live: LiveServer, client: httpx.Client
) -> None:
    add(client, "mine")
    with httpx.Client(base_url=live.url, timeout=TIMEOUT) as other:
        other.get("/events")
        add(other, "theirs")
        last = position(other)
        theirs = view(at(other, last)).elements
        assert "theirs" in theirs
        assert "mine" not in theirs
    mine = view(at(client, last)).elements
    assert "mine" in mine
    assert "theirs" not in mine


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "", " ", "1e3"])
def test_a_bad_position_answers_400(client: httpx.Client, value: str) -> None:
    assert at(client, value).status_code == 400
    assert at(client, value, **DS).status_code == 400  # a URL the client built


def test_a_missing_position_answers_400(client: httpx.Client) -> None:
    assert client.get("/api/events/at").status_code == 400


@pytest.mark.parametrize("signals", ['{"position": -1}', '{"position": "x"}', '{"position": true}'])
def test_a_bad_position_signal_shows_a_message_in_the_browser(
    client: httpx.Client, signals: str
) -> None:
    response = client.get("/api/events/at", params={"datastar": signals}, headers=DS)
    elements = view(response).elements
    assert 'role="alert"' in elements
    assert client.get("/api/events/at", params={"datastar": signals}).status_code == 400
