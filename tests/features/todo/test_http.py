"""The todo endpoints through the real app on a live server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import LiveServer

DS = {"datastar-request": "true"}


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        client.get("/")  # the page sets the session cookie
        yield client


def add(client: httpx.Client, text: str) -> httpx.Response:
    return client.post("/api/todos", json={"input": text}, headers=DS)


def page(client: httpx.Client) -> str:
    return client.get("/").text


def todo_ids(client: httpx.Client) -> list[str]:
    html = page(client)
    return [part.split('"', 1)[0] for part in html.split('data-id="')[1:]]


def first_stream_event(client: httpx.Client, **signals: str) -> str:
    params = {"datastar": json.dumps(signals)} if signals else {}
    with client.stream("GET", "/api/todos", params=params, headers=DS) as response:
        assert response.headers["content-type"] == "text/event-stream"
        lines: list[str] = []
        for line in response.iter_lines():
            if not line and lines:
                return "\n".join(lines)
            lines.append(line)
    raise AssertionError("stream ended before an event")


def test_the_page_has_the_new_todo_box_as_first_text_input(client: httpx.Client) -> None:
    html = page(client)
    first_input = html.split("<input", 1)[1]
    assert 'class="new-todo"' in first_input.split(">", 1)[0]
    assert "autofocus" in first_input.split(">", 1)[0]


def test_adding_a_todo_shows_it_on_the_page_and_in_the_stream(client: httpx.Client) -> None:
    response = add(client, "  buy milk  ")
    assert response.status_code == 200
    assert '"input":""' in response.text  # the box is cleared only after the event is stored
    assert "buy milk" in page(client)
    event = first_stream_event(client)
    assert event.startswith("event: datastar-patch-elements\nid: ")
    assert 'data: elements <div id="todos">' in event
    assert "buy milk" in event


def test_sessions_have_their_own_lists(live: LiveServer, client: httpx.Client) -> None:
    add(client, "mine")
    with httpx.Client(base_url=live.url) as other:
        assert "mine" not in other.get("/").text


@pytest.mark.parametrize(
    ("text", "message"), [("   ", "needs some text"), ("x" * 10_000, "at most 500")]
)
def test_invalid_text_shows_a_message_and_stores_nothing(
    client: httpx.Client, text: str, message: str
) -> None:
    before = client.get("/healthz").json()["position"]
    response = add(client, text)
    assert response.status_code == 200  # Datastar only applies 200 bodies
    assert message in response.text
    assert 'id="todo-error"' in response.text
    assert client.get("/healthz").json()["position"] == before


def test_api_clients_get_a_real_status_for_refused_commands(client: httpx.Client) -> None:
    assert client.post("/api/todos", json={"input": ""}).status_code == 422
    assert client.delete("/api/todos/nope").status_code == 404


def test_unknown_todo_id_answers_a_visible_message(client: httpx.Client) -> None:
    response = client.post("/api/todos/nope/toggle", json={"completed": True}, headers=DS)
    assert "no longer exists" in response.text


@pytest.mark.parametrize("body", [b"{not json", b"[1]", b'{"input": 3}'])
def test_malformed_signals_answer_400(client: httpx.Client, body: bytes) -> None:
    response = client.post(
        "/api/todos", content=body, headers={**DS, "content-type": "application/json"}
    )
    assert response.status_code == 400


def test_an_oversized_body_answers_413(client: httpx.Client) -> None:
    body = json.dumps({"input": "x" * (1024 * 1024 + 10)})
    response = client.post("/api/todos", content=body, headers=DS)
    assert response.status_code == 413


def test_a_cross_site_command_answers_403(client: httpx.Client) -> None:
    response = client.post(
        "/api/todos", json={"input": "evil"}, headers={"sec-fetch-site": "cross-site"}
    )
    assert response.status_code == 403
    other_origin = client.post(
        "/api/todos", json={"input": "evil"}, headers={"origin": "https://evil.example"}
    )
    assert other_origin.status_code == 403
    assert "evil" not in page(client)


def test_toggle_rename_move_delete_and_clear(client: httpx.Client) -> None:
    for text in ("a", "b", "c"):
        add(client, text)
    a, b, c = todo_ids(client)
    assert client.post(f"/api/todos/{a}/toggle", json={"completed": True}, headers=DS).is_success
    assert 'class="completed"' in page(client)
    assert client.put(f"/api/todos/{b}", json={"text": "bee"}, headers=DS).is_success
    assert client.post(f"/api/todos/{c}/move", json={"to_index": 0}, headers=DS).is_success
    assert todo_ids(client) == [c, a, b]
    assert client.post("/api/todos/clear-completed", headers=DS).is_success
    assert todo_ids(client) == [c, b]
    assert client.delete(f"/api/todos/{c}", headers=DS).is_success
    html = page(client)
    assert "bee" in html
    assert todo_ids(client) == [b]


def test_the_stream_renders_the_requested_filter(client: httpx.Client) -> None:
    add(client, "open one")
    add(client, "done one")
    done = todo_ids(client)[1]
    client.post(f"/api/todos/{done}/toggle", json={"completed": True}, headers=DS)
    active = first_stream_event(client, filter="active")
    assert "open one" in active
    assert "done one" not in active
    assert 'href="#/active" class="selected"' in active


XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>'+alert(1)+'${alert(1)}"


def test_user_text_is_escaped_and_never_reaches_an_expression(client: httpx.Client) -> None:
    add(client, XSS)
    for html in (page(client), first_stream_event(client)):
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        for attribute in html.split("data-on:")[1:]:
            assert "alert" not in attribute.split('"', 2)[1]


async def test_concurrent_commands_on_one_list_all_succeed(
    live: LiveServer, client: httpx.Client
) -> None:
    # Commands on one list take turns in the command handler: none may answer 500
    # (optimistic-concurrency retries running out) however many arrive at once.
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with httpx.AsyncClient(
        base_url=live.url, cookies=client.cookies, limits=limits, timeout=30
    ) as concurrent:
        adds = [
            concurrent.post("/api/todos", json={"input": f"todo {n:02d}"}, headers=DS)
            for n in range(20)
        ]
        answers = await asyncio.gather(*adds)
    assert [r.status_code for r in answers] == [200] * 20
    html = page(client)
    assert len(todo_ids(client)) == 20
    assert all(f"todo {n:02d}" in html for n in range(20))
