"""`GET /api/events`: one SSE event per stored event, `id:` = position, exact resume."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from ironstar.infra import SqliteEventStore
from ironstar.kernel import NewEvent, uuid7
from tests.conftest import LiveServer
from tests.features.events.support import (
    DS,
    TIMEOUT,
    add,
    append_other,
    parse,
    position,
    read_events,
)


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=TIMEOUT) as client:
        client.get("/events")  # the page sets the session cookie
        yield client


def test_the_page_is_in_the_nav_and_opens_the_tail(client: httpx.Client) -> None:
    add(client, "milk")
    html = client.get("/events").text
    assert 'href="/events"' in html
    assert "Event log" in html
    assert 'data-init="@get(&#39;/api/events&#39;, {retry: &#39;always&#39;})"' in html
    assert '<option value="todo_list">todo_list</option>' in html
    assert 'id="event-rows"' in html


def test_one_sse_event_per_stored_event_with_its_position_as_id(client: httpx.Client) -> None:
    for text in ("a", "b", "c"):
        add(client, text)
    last = position(client)
    events = read_events(client, last, quiet=0.5)
    assert [e.id for e in events] == [str(p) for p in range(1, last + 1)]
    assert {e.event for e in events} == {"datastar-patch-elements"}
    assert all(e.field("selector") == "#event-rows" for e in events)
    assert [e.field("mode") for e in events] == ["inner"] + ["prepend"] * (last - 1)
    for event in events:
        assert event.elements.startswith(f'<tr id="event-{event.id}">')
    assert "TodoAdded" in events[-1].elements


def test_a_fresh_tail_sends_the_last_50_then_live_events(client: httpx.Client) -> None:
    for i in range(53):
        add(client, f"todo {i}")
    last = position(client)
    with client.stream("GET", "/api/events") as response:
        events = parse(response.iter_lines())
        backlog = [next(events) for _ in range(50)]
        assert [int(e.id) for e in backlog] == list(range(last - 49, last + 1))
        add(client, "live one")
        live_event = next(events)
    assert live_event.id == str(last + 1)
    assert live_event.field("mode") == "prepend"
    assert "live one" in live_event.elements


def test_last_event_id_resumes_with_exactly_the_missed_events(client: httpx.Client) -> None:
    for text in ("a", "b", "c", "d", "e"):
        add(client, text)
    events = read_events(client, 2, headers={"last-event-id": "3"}, quiet=0.5)
    assert [e.id for e in events] == ["4", "5"]
    assert all(e.field("mode") == "prepend" for e in events)  # no reset on resume
    assert read_events(client, 0, headers={"last-event-id": "5"}, quiet=0.5) == []


def test_a_resumed_tail_goes_on_with_live_events(client: httpx.Client) -> None:
    add(client, "a")
    with client.stream("GET", "/api/events", headers={**DS, "last-event-id": "1"}) as response:
        events = parse(response.iter_lines())
        add(client, "b")
        assert next(events).id == "2"
        add(client, "c")
        assert next(events).id == "3"


def test_an_id_beyond_the_log_starts_fresh(client: httpx.Client) -> None:
    add(client, "a")
    events = read_events(client, 1, headers={"last-event-id": "999"}, quiet=0.5)
    assert [(e.id, e.field("mode")) for e in events] == [("1", "inner")]


def test_filter_by_aggregate_type(live: LiveServer, client: httpx.Client) -> None:
    add(client, "a")
    append_other(live, "probe")
    add(client, "b")
    events = read_events(client, 2, headers=DS, signals={"aggregate_type": "todo_list"}, quiet=0.5)
    assert [e.id for e in events] == ["1", "3"]
    probes = read_events(client, 1, signals={"aggregate_type": "probe"}, quiet=0.5)
    assert [e.id for e in probes] == ["2"]
    assert "Probed" in probes[0].elements


def test_a_filtered_resume_sends_only_missed_events_of_that_type(
    live: LiveServer, client: httpx.Client
) -> None:
    add(client, "a")
    append_other(live)
    add(client, "b")
    add(client, "c")
    headers = {**DS, "last-event-id": "3"}
    events = read_events(client, 1, headers=headers, signals={"aggregate_type": "todo_list"})
    assert [e.id for e in events] == ["4"]


def test_unknown_aggregate_type(client: httpx.Client) -> None:
    add(client, "a")
    params = {"datastar": '{"aggregate_type": "nope"}'}
    assert client.get("/api/events", params=params).status_code == 400
    assert client.get("/api/events", params={"aggregate_type": "nope"}).status_code == 400
    # A browser with a stale select gets the whole log instead of an error.
    events = read_events(client, 1, headers=DS, signals={"aggregate_type": "nope"}, quiet=0.3)
    assert [e.id for e in events] == ["1"]


@pytest.mark.parametrize("value", ["abc", "-1", "1\r\nid: 9"])
def test_a_malformed_last_event_id_answers_400(client: httpx.Client, value: str) -> None:
    add(client, "a")
    headers = {"last-event-id": value.replace("\r\n", " ")}
    assert client.get("/api/events", headers=headers).status_code == 400


def test_malformed_signals_answer_400(client: httpx.Client) -> None:
    assert client.get("/api/events", params={"datastar": "{nope"}).status_code == 400


def test_a_long_open_tail_trims_the_oldest_rows(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ironstar.features.events.routes.MAX_ROWS", 3)
    for text in ("a", "b", "c", "d", "e"):
        add(client, text)
    events = read_events(client, 7, quiet=0.5)
    kinds = [(e.id, e.field("mode")) for e in events]
    assert kinds == [
        ("1", "inner"),
        ("2", "prepend"),
        ("3", "prepend"),
        ("4", "prepend"),
        ("", "remove"),  # no id: a trim never moves the resume point
        ("5", "prepend"),
        ("", "remove"),
    ]
    assert {e.field("selector") for e in events if e.field("mode") == "remove"} == {
        "#event-rows > tr:nth-child(n+4)"
    }


def test_an_event_another_process_appends_reaches_an_open_tail(
    live: LiveServer, client: httpx.Client
) -> None:
    """Nothing in this server publishes it: the store watch notices the file changed."""
    add(client, "mine")
    last = position(client)
    path = live.app.state.services.settings.database_path

    async def append_elsewhere() -> None:
        other = await SqliteEventStore.open(path)  # its own connections, like a process
        event = NewEvent(
            event_id=uuid7(), event_type="Probed", event_version=1, payload=b'{"text":"far"}'
        )
        await other.append("probe", uuid7(), 0, [event])
        await other.close()

    with client.stream("GET", "/api/events", headers={**DS, "last-event-id": str(last)}) as r:
        events = parse(r.iter_lines())
        asyncio.run(append_elsewhere())
        arrived = next(events)  # a read timeout (5 s) if no wake-up came
    assert arrived.id == str(last + 1)
    assert "Probed" in arrived.elements
