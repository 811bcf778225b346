"""TodoMVC in real Chromium: the app-spec behaviours, live sync, persistence, safety."""

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


def test_adding_toggling_editing_and_clearing(
    app_server: LiveServer, page: Page, problems: PageProblems
) -> None:
    open_app(page, app_server)
    expect(page.locator(".new-todo")).to_be_focused()
    expect(page.locator(".main")).to_be_hidden()
    expect(page.locator(".footer")).to_have_count(0)

    add(page, "  buy milk  ", "walk dog")
    expect(page.locator(".new-todo")).to_have_value("")
    expect(page.locator(".todo-list li label")).to_have_text(["buy milk", "walk dog"])
    expect(page.locator(".todo-count")).to_have_text("2 items left")

    page.locator(".todo-list li .toggle").first.check()
    expect(page.locator(".todo-list li").first).to_have_class("completed")
    expect(page.locator(".todo-count")).to_have_text("1 item left")
    expect(page.locator(".clear-completed")).to_be_visible()

    second = page.locator(".todo-list li").nth(1)
    second.locator("label").dblclick()
    expect(second).to_have_class("editing")
    edit = second.locator(".edit")
    expect(edit).to_be_focused()
    expect(second.locator(".toggle")).to_be_hidden()
    edit.fill("  walk the dog  ")
    edit.press("Enter")
    expect(second.locator("label")).to_have_text("walk the dog")
    expect(second).not_to_have_class("editing")

    second.locator("label").dblclick()
    second.locator(".edit").fill("discarded")
    second.locator(".edit").press("Escape")
    expect(second.locator("label")).to_have_text("walk the dog")

    page.locator(".toggle-all").check()
    expect(page.locator(".todo-list li.completed")).to_have_count(2)
    page.locator(".toggle-all").uncheck()
    expect(page.locator(".todo-list li.completed")).to_have_count(0)

    page.locator(".todo-list li .toggle").first.check()
    page.locator(".clear-completed").click()
    expect(page.locator(".todo-list li label")).to_have_text(["walk the dog"])
    expect(page.locator(".clear-completed")).to_have_count(0)

    page.reload()
    expect(page.locator(".todo-list li label")).to_have_text(["walk the dog"])
    assert problems.errors == []


def test_editing_to_empty_deletes_and_blur_saves(app_server: LiveServer, page: Page) -> None:
    open_app(page, app_server)
    add(page, "one", "two")
    first = page.locator(".todo-list li").first
    first.locator("label").dblclick()
    first.locator(".edit").fill("uno")
    page.locator(".new-todo").focus()  # blur saves
    expect(page.locator(".todo-list li label")).to_have_text(["uno", "two"])
    first.locator("label").dblclick()
    first.locator(".edit").fill("   ")
    first.locator(".edit").press("Enter")
    expect(page.locator(".todo-list li label")).to_have_text(["two"])


def test_filters_follow_the_hash_back_button_and_reload(app_server: LiveServer, page: Page) -> None:
    open_app(page, app_server)
    add(page, "active one", "done one")
    page.locator(".todo-list li .toggle").nth(1).check()
    expect(page.locator(".todo-list li.completed")).to_have_count(1)

    page.locator(".filters a", has_text="Active").click()
    expect(page).to_have_url(app_server.url + "/#/active")
    expect(page.locator(".todo-list li label")).to_have_text(["active one"])
    expect(page.locator(".filters a.selected")).to_have_text("Active")

    page.locator(".filters a", has_text="Completed").click()
    expect(page.locator(".todo-list li label")).to_have_text(["done one"])
    page.go_back()
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
