"""TodoMVC in real Chromium, beyond the TodoMVC suite (`test_todomvc_spec.py`).

Live sync across tabs and sessions, validation, keyboard use, reorder, hostile text, and
the filter surviving a reload; shared helpers `open_app` and `add`.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser_support import PageProblems
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
XSS = "<img src=x onerror=\"window.__pwned=1\">'+(window.__pwned=2)+'${window.__pwned=3}"


def open_app(page: Page, server: LiveServer, path: str = "/") -> None:
    page.goto(server.url + path)
    expect(page.locator(".connection")).to_have_text("online", timeout=10_000)


def add(page: Page, *texts: str) -> None:
    box = page.locator(".new-todo")
    for text in texts:
        count = page.locator(".todo-list li").count()
        box.fill(text)
        box.press("Enter")
        expect(page.locator(".todo-list li")).to_have_count(count + 1)


def test_the_filter_is_the_url_hash_and_survives_a_reload(
    app_server: LiveServer, page: Page
) -> None:
    open_app(page, app_server)
    add(page, "active one", "done one")
    page.locator(".todo-list li .toggle").nth(1).check()
    expect(page.locator(".todo-list li.completed")).to_have_count(1)
    page.locator(".filters a", has_text="Active").click()
    expect(page).to_have_url(app_server.url + "/#/active")
    expect(page.locator(".todo-list li label")).to_have_text(["active one"])
    page.reload()
    expect(page.locator(".todo-list li label")).to_have_text(["active one"])
    expect(page.locator(".filters a.selected")).to_have_text("Active")


def test_invalid_input_shows_a_message_and_keeps_the_text(
    app_server: LiveServer, page: Page
) -> None:
    open_app(page, app_server)
    box = page.locator(".new-todo")
    box.fill("x" * 600)
    box.press("Enter")
    expect(page.locator("#todo-error")).to_contain_text("at most 500")
    expect(box).to_have_value("x" * 600)
    box.fill("fine")
    box.press("Enter")
    expect(page.locator("#todo-error")).to_be_hidden()


def test_two_tabs_of_one_session_stay_in_sync(
    app_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    open_app(page, app_server)
    other = context.new_page()
    open_app(other, app_server)
    add(page, "from tab one")
    expect(other.locator(".todo-list li label")).to_have_text(["from tab one"])
    other.locator(".todo-list li .toggle").first.check()
    expect(page.locator(".todo-list li").first).to_have_class("completed")


def test_another_session_has_its_own_list(
    app_server: LiveServer, page: Page, context: BrowserContext
) -> None:
    open_app(page, app_server)
    add(page, "private")
    stranger = context.browser.new_context() if context.browser else None
    assert stranger is not None
    try:
        other = stranger.new_page()
        open_app(other, app_server)
        expect(other.locator(".todo-list li")).to_have_count(0)
    finally:
        stranger.close()


def test_keyboard_only_flow(app_server: LiveServer, page: Page) -> None:
    open_app(page, app_server)
    page.keyboard.type("typed")
    page.keyboard.press("Enter")
    expect(page.locator(".todo-list li label")).to_have_text(["typed"])
    page.keyboard.press("Tab")  # toggle-all
    page.keyboard.press("Tab")  # the item's toggle
    page.keyboard.press("Space")
    expect(page.locator(".todo-list li").first).to_have_class("completed")


def test_drag_and_drop_reorder_persists(app_server: LiveServer, page: Page) -> None:
    open_app(page, app_server)
    add(page, "first", "second", "third")
    source = page.locator(".todo-list li").nth(2).locator("label")
    target = page.locator(".todo-list li").nth(0).locator("label")
    source.drag_to(target, target_position={"x": 20, "y": 2})
    expect(page.locator(".todo-list li label")).to_have_text(["third", "first", "second"])
    page.reload()
    expect(page.locator(".todo-list li label")).to_have_text(["third", "first", "second"])


def test_hostile_text_is_shown_as_text_and_never_runs(app_server: LiveServer, page: Page) -> None:
    open_app(page, app_server)
    add(page, XSS)
    expect(page.locator(".todo-list li label")).to_have_text([XSS])
    page.locator(".todo-list li label").dblclick()
    expect(page.locator(".todo-list li .edit")).to_have_value(XSS)
    page.locator(".todo-list li .edit").press("Escape")
    page.reload()
    expect(page.locator(".todo-list li label")).to_have_text([XSS])
    assert page.evaluate("window.__pwned") is None


def test_the_stream_reopens_after_the_server_ends_it_cleanly(
    app_server: LiveServer, context: BrowserContext, page: Page, problems: PageProblems
) -> None:
    """A shutdown or restart ends streams cleanly; `retry: 'always'` opens them again."""
    open_app(page, app_server)
    add(page, "before")
    opened: list[str] = []
    page.on(
        "request",
        lambda r: opened.append(r.url) if r.method == "GET" and "/api/todos?" in r.url else None,
    )
    state = app_server.app.state
    # Shutting down: every stream ends at once, and each reopened one ends too ...
    with page.expect_request(
        lambda r: r.method == "GET" and "/api/todos?" in r.url, timeout=10_000
    ):
        state.loop.call_soon_threadsafe(state.shutdown.set)
    # ... until the server is back (a cleared event stands for the new process).
    state.loop.call_soon_threadsafe(state.shutdown.clear)
    page.wait_for_timeout(2500)  # the retry after the last clean end has reopened it for good
    expect(page.locator(".todo-list li label")).to_have_text(["before"])

    other = context.new_page()  # another client of the same session sends a command
    problems.watch(other)
    open_app(other, app_server)
    add(other, "after the restart")
    expect(page.locator(".todo-list li label")).to_have_text(["before", "after the restart"])
    assert len(opened) >= 1
    assert problems.errors == []


def test_the_stream_is_zstd_compressed_in_chromium(
    app_server: LiveServer, page: Page, problems: PageProblems
) -> None:
    """Chromium offers zstd, our first choice; its live patches decode as they come."""
    with page.expect_response(lambda r: "/api/todos?" in r.url) as opened:
        open_app(page, app_server)
    stream = opened.value
    assert "zstd" in stream.request.all_headers()["accept-encoding"]
    assert stream.all_headers()["content-encoding"] == "zstd"
    add(page, "squeezed", "and flushed")  # each patch shows before the next command
    expect(page.locator(".todo-list li label")).to_have_text(["squeezed", "and flushed"])
    assert problems.errors == []
