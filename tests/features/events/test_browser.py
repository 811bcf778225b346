"""The event log in real Chromium: live rows, filter, time travel, resume after a drop."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.browser_support import PageProblems
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
ROWS = "#event-rows tr[id^='event-']"


def add_todo(page: Page, text: str) -> None:
    box = page.locator(".new-todo")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".todo-list label", has_text=text)).to_be_visible(timeout=10_000)


def drop_streams(server: LiveServer) -> None:
    """End every open stream cleanly, as a restart would (new streams are not affected)."""
    shutdown: asyncio.Event = server.app.state.shutdown
    loop: asyncio.AbstractEventLoop = server.app.state.loop

    def pulse() -> None:
        shutdown.set()  # wakes every waiting stream now ...
        shutdown.clear()  # ... and lets the reconnects stay open

    loop.call_soon_threadsafe(pulse)


def test_the_log_is_live_filters_travels_and_resumes(
    app_server: LiveServer, context: BrowserContext, page: Page, problems: PageProblems
) -> None:
    todos = context.new_page()  # same context: the same session owns the todos
    problems.watch(todos)
    todos.goto(app_server.url + "/")
    expect(todos.locator(".connection")).to_have_text("online", timeout=10_000)
    add_todo(todos, "<b>first</b>")

    resumed: list[str] = []

    def record(request: Request) -> None:
        if "/api/events?" in request.url:
            resumed.append(request.headers.get("last-event-id", ""))

    page.on("request", record)
    page.goto(app_server.url + "/events")
    expect(page.locator(".connection")).to_have_text("online", timeout=10_000)
    expect(page.locator(ROWS)).to_have_count(1, timeout=10_000)
    expect(page.locator("#event-1 .payload")).to_contain_text('"text":"<b>first</b>"')

    add_todo(todos, "'+alert(1)+'")  # live: a new row on top
    expect(page.locator(ROWS)).to_have_count(2, timeout=10_000)
    expect(page.locator(ROWS).first).to_have_id("event-2")

    # Time travel: the panel loaded itself when it scrolled into view; pick position 1.
    expect(page.locator("#time-travel")).to_contain_text("after position 1", timeout=10_000)
    page.locator("#travel-position").fill("1")
    travel = page.locator("#time-travel")
    expect(travel).to_contain_text("after position 1: 1 todo.", timeout=10_000)
    expect(travel.locator(".todo-list label")).to_have_text(["<b>first</b>"])

    # A drop: the stream ends, events land meanwhile, the retry resumes with exactly those.
    drop_streams(app_server)
    with httpx.Client(base_url=app_server.url, cookies=_cookies(context)) as client:
        for text in ("missed one", "missed two"):
            response = client.post(
                "/api/todos", json={"input": text}, headers={"datastar-request": "true"}
            )
            assert response.is_success
    expect(page.locator(ROWS)).to_have_count(4, timeout=10_000)
    expect(page.locator(ROWS).first).to_have_id("event-4")
    assert resumed[:2] == ["", "2"]  # a fresh tail, then a resume after position 2
    assert page.locator(ROWS).evaluate_all("rows => rows.map(r => r.id)") == [
        "event-4",
        "event-3",
        "event-2",
        "event-1",
    ]

    # The filter reopens the stream from a fresh backlog of one aggregate type.
    page.select_option("#aggregate-type", "todo_list")
    expect(page.locator(ROWS)).to_have_count(4, timeout=10_000)
    assert problems.errors == []


def _cookies(context: BrowserContext) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies() if "name" in c and "value" in c}


def test_the_tail_resumes_after_the_network_drops(
    app_server: LiveServer, context: BrowserContext, page: Page, problems: PageProblems
) -> None:
    resumed: list[str] = []

    def record(request: Request) -> None:
        if "/api/events?" in request.url:
            resumed.append(request.headers.get("last-event-id", ""))

    with httpx.Client(base_url=app_server.url) as client:
        client.get("/events")
        ds = {"datastar-request": "true"}
        assert client.post("/api/todos", json={"input": "before"}, headers=ds).is_success
        page.on("request", record)
        page.goto(app_server.url + "/events")
        expect(page.locator(ROWS)).to_have_count(1, timeout=10_000)

        # Offline emulation fails new requests but keeps an open response alive, so the
        # server ends the stream too: every reconnect then fails until the network is back.
        context.set_offline(True)
        drop_streams(app_server)
        expect(page.locator(".connection")).to_have_text("offline", timeout=10_000)
        for text in ("while offline 1", "while offline 2"):
            assert client.post("/api/todos", json={"input": text}, headers=ds).is_success
        context.set_offline(False)

    expect(page.locator(ROWS)).to_have_count(3, timeout=15_000)
    assert page.locator(ROWS).evaluate_all("rows => rows.map(r => r.id)") == [
        "event-3",
        "event-2",
        "event-1",
    ]
    assert "1" in resumed[1:]  # every retry asked to resume after position 1
    assert set(resumed[1:]) == {"1"}
    # The browser and Datastar log each failed attempt while offline; nothing else may fail.
    offline = ("Datastar failed to reach", "ERR_INTERNET_DISCONNECTED", "Failed to fetch")
    assert [e for e in problems.errors if not any(o in e for o in offline)] == []


def test_a_tab_left_open_keeps_a_bounded_table(
    app_server: LiveServer, page: Page, problems: PageProblems, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ironstar.features.events.routes.MAX_ROWS", 4)
    with httpx.Client(base_url=app_server.url) as client:
        client.get("/events")
        ds = {"datastar-request": "true"}
        page.goto(app_server.url + "/events")
        expect(page.locator(".connection")).to_have_text("online", timeout=10_000)
        for i in range(7):
            assert client.post("/api/todos", json={"input": f"t{i}"}, headers=ds).is_success
    expect(page.locator(ROWS).first).to_have_id("event-7", timeout=10_000)
    expect(page.locator(ROWS)).to_have_count(4)
    assert page.locator(ROWS).evaluate_all("rows => rows.map(r => r.id)") == [
        "event-7",
        "event-6",
        "event-5",
        "event-4",
    ]
    assert problems.errors == []
