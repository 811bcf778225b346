"""The TodoMVC functional suite (tastejs/todomvc `app-spec.md` and its 29 browser tests).

One test per spec test, named after its behaviour sentence and asserting the same things,
written for Playwright against our app. Where the spec allows either, our app removes
elements rather than hiding them, and the server renders only the items a filter shows:
so "visible todos" here are simply `.todo-list li`. Every test also ends with no console
error and no failed request. Behaviours TodoMVC doesn't cover (live sync, reorder,
validation, hostile text, reload keeps the filter) are in `test_todomvc.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_todomvc import add, open_app
from tests.browser_support import PageProblems
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

ONE = "buy some cheese"
TWO = "feed the cat"
THREE = "book a doctors appointment"


@pytest.fixture(autouse=True)
def app(app_server: LiveServer, page: Page, problems: PageProblems) -> Iterator[Page]:
    """Every test starts on a fresh app with no todos, and ends without page problems."""
    open_app(page, app_server)
    expect(page.locator(".todo-list li")).to_have_count(0)
    yield page
    assert problems.errors == []


def items(page: Page) -> Locator:
    return page.locator(".todo-list li")


def add_defaults(page: Page) -> Locator:
    add(page, ONE, TWO, THREE)
    return items(page)


def exact_text(locator: Locator) -> str | None:
    """The element's raw text: Playwright's text matchers normalise whitespace."""
    return locator.text_content()


def filter_link(page: Page, name: str) -> Locator:
    return page.locator(".filters li a", has_text=name)


# -- When page is initially opened ------------------------------------------------------
def test_should_focus_on_the_todo_input_field(page: Page) -> None:
    expect(page.locator(".new-todo")).to_be_focused()
    assert page.evaluate("document.activeElement.classList.contains('new-todo')")


# -- No Todos ---------------------------------------------------------------------------
def test_starts_with_nothing(page: Page) -> None:
    expect(items(page)).to_have_count(0)


def test_should_hide_main_and_footer(page: Page) -> None:
    expect(items(page)).to_have_count(0)
    expect(page.locator(".main")).to_be_hidden()
    expect(page.locator(".footer")).to_be_hidden()


# -- New Todo ---------------------------------------------------------------------------
def test_should_allow_me_to_add_todo_items(page: Page) -> None:
    box = page.locator(".new-todo")
    box.press_sequentially(ONE)
    box.press("Enter")
    expect(items(page).nth(0).locator("label")).to_have_text(ONE)
    expect(box).to_have_value("")
    box.press_sequentially(TWO)
    box.press("Enter")
    expect(items(page).nth(1).locator("label")).to_have_text(TWO)
    expect(items(page)).to_have_count(2)


def test_should_clear_text_input_field_when_an_item_is_added(page: Page) -> None:
    box = page.locator(".new-todo")
    box.press_sequentially(ONE)
    box.press("Enter")
    expect(items(page)).to_have_count(1)
    expect(box).to_have_value("")


def test_should_append_new_items_to_the_bottom_of_the_list(page: Page) -> None:
    todos = add_defaults(page)
    expect(page.locator("span.todo-count")).to_contain_text("3")
    expect(todos.locator("label")).to_have_text([ONE, TWO, THREE])


def test_should_trim_text_input(page: Page) -> None:
    add(page, f"    {ONE}    ")
    label = items(page).nth(0).locator("label")
    expect(label).to_have_text(ONE)
    assert exact_text(label) == ONE


def test_should_show_main_and_footer_when_items_added(page: Page) -> None:
    add(page, ONE)
    expect(page.locator(".main")).to_be_visible()
    expect(page.locator(".footer")).to_be_visible()


# -- Mark all as completed --------------------------------------------------------------
def test_should_allow_me_to_mark_all_items_as_completed(page: Page) -> None:
    todos = add_defaults(page)
    page.locator(".toggle-all").check()
    for i in range(3):
        expect(todos.nth(i)).to_have_class("completed")


def test_should_allow_me_to_clear_the_complete_state_of_all_items(page: Page) -> None:
    todos = add_defaults(page)
    page.locator(".toggle-all").check()
    expect(page.locator(".todo-list li.completed")).to_have_count(3)
    page.locator(".toggle-all").uncheck()
    for i in range(3):
        expect(todos.nth(i)).not_to_have_class("completed")


def test_complete_all_checkbox_should_update_state_when_items_are_completed_or_cleared(
    page: Page,
) -> None:
    todos = add_defaults(page)
    toggle_all = page.locator(".toggle-all")
    toggle_all.check()
    expect(toggle_all).to_be_checked()
    # Saved (the spec waits for storage): the items show it, so unchecking one is a change.
    expect(page.locator(".todo-list li.completed")).to_have_count(3)
    todos.nth(0).locator(".toggle").uncheck()
    expect(toggle_all).not_to_be_checked()
    todos.nth(0).locator(".toggle").check()
    expect(page.locator(".todo-list li.completed")).to_have_count(3)
    expect(toggle_all).to_be_checked()


# -- Item -------------------------------------------------------------------------------
def test_should_allow_me_to_mark_items_as_complete(page: Page) -> None:
    add(page, ONE, TWO)
    first, second = items(page).nth(0), items(page).nth(1)
    first.locator(".toggle").check()
    expect(first).to_have_class("completed")
    expect(second).not_to_have_class("completed")
    second.locator(".toggle").check()
    expect(first).to_have_class("completed")
    expect(second).to_have_class("completed")


def test_should_allow_me_to_un_mark_items_as_complete(page: Page) -> None:
    add(page, ONE, TWO)
    first, second = items(page).nth(0), items(page).nth(1)
    first.locator(".toggle").check()
    expect(first).to_have_class("completed")
    expect(second).not_to_have_class("completed")
    first.locator(".toggle").uncheck()
    expect(first).not_to_have_class("completed")
    expect(second).not_to_have_class("completed")


def test_should_allow_me_to_edit_an_item(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator("label").dblclick()
    edit = todos.nth(1).locator(".edit")
    expect(edit).to_have_value(TWO)
    edit.clear()
    edit.press_sequentially("buy some sausages")
    edit.press("Enter")
    expect(todos.locator("label")).to_have_text([ONE, "buy some sausages", THREE])
    expect(todos.nth(1)).not_to_have_class("editing")


# -- Editing ----------------------------------------------------------------------------
def test_should_hide_other_controls_when_editing(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator("label").dblclick()
    expect(todos.nth(1)).to_have_class("editing")
    expect(todos.nth(1).locator(".edit")).to_be_focused()
    expect(todos.nth(1).locator(".toggle")).not_to_be_visible()
    expect(todos.nth(1).locator("label")).not_to_be_visible()


def test_should_save_edits_on_blur(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator("label").dblclick()
    edit = todos.nth(1).locator(".edit")
    edit.clear()
    edit.press_sequentially("buy some sausages")
    edit.blur()
    expect(todos.locator("label")).to_have_text([ONE, "buy some sausages", THREE])
    expect(todos.nth(1)).not_to_have_class("editing")


def test_should_trim_entered_text(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator("label").dblclick()
    edit = todos.nth(1).locator(".edit")
    edit.press("ControlOrMeta+a")
    edit.press("Backspace")
    edit.press_sequentially("    buy some sausages    ")
    edit.press("Enter")
    expect(todos.locator("label")).to_have_text([ONE, "buy some sausages", THREE])
    assert exact_text(todos.nth(1).locator("label")) == "buy some sausages"


def test_should_remove_the_item_if_an_empty_text_string_was_entered(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator("label").dblclick()
    edit = todos.nth(1).locator(".edit")
    edit.clear()
    edit.press("Enter")
    expect(todos).to_have_count(2)
    expect(todos.locator("label")).to_have_text([ONE, THREE])


def test_should_cancel_edits_on_escape(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator("label").dblclick()
    edit = todos.nth(1).locator(".edit")
    edit.press("ControlOrMeta+a")
    edit.press("Backspace")
    edit.press_sequentially("foo")
    edit.press("Escape")
    expect(todos.nth(1)).not_to_have_class("editing")
    expect(todos.locator("label")).to_have_text([ONE, TWO, THREE])
    page.reload()  # nothing was saved behind our back
    expect(items(page).locator("label")).to_have_text([ONE, TWO, THREE])


# -- Counter ----------------------------------------------------------------------------
def test_should_display_the_current_number_of_todo_items(page: Page) -> None:
    count = page.locator("span.todo-count")
    add(page, ONE)
    expect(count).to_have_text("1 item left")
    expect(count.locator("strong")).to_have_text("1")
    add(page, TWO)
    expect(count).to_have_text("2 items left")
    expect(count.locator("strong")).to_have_text("2")


# -- Clear completed button -------------------------------------------------------------
def test_should_display_the_correct_text(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(0).locator(".toggle").check()
    expect(page.locator(".clear-completed")).to_have_text("Clear completed")


def test_should_remove_completed_items_when_clicked(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator(".toggle").check()
    page.locator(".clear-completed").click()
    expect(todos).to_have_count(2)
    expect(todos.locator("label")).to_have_text([ONE, THREE])


def test_should_be_hidden_when_there_are_no_items_that_are_completed(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator(".toggle").check()
    clear = page.locator(".clear-completed")
    expect(clear).to_be_visible()
    clear.click()
    expect(clear).to_be_hidden()


# -- Persistence ------------------------------------------------------------------------
def test_should_persist_its_data(page: Page) -> None:
    add(page, ONE, TWO)

    def check_state() -> None:
        first, second = items(page).nth(0), items(page).nth(1)
        expect(first).to_contain_text(ONE)
        expect(first).to_have_class("completed")
        expect(second).to_contain_text(TWO)
        expect(second).not_to_have_class("completed")

    items(page).nth(0).locator(".toggle").check()
    check_state()
    page.reload()
    check_state()


# -- Routing ----------------------------------------------------------------------------
def test_should_allow_me_to_display_active_items(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator(".toggle").check()
    expect(todos.nth(1)).to_have_class("completed")
    filter_link(page, "Active").click()
    expect(todos).to_have_count(2)
    expect(todos.locator("label")).to_have_text([ONE, THREE])


def test_should_respect_the_back_button(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator(".toggle").check()
    expect(todos.nth(1)).to_have_class("completed")
    filter_link(page, "All").click()
    expect(todos).to_have_count(3)
    filter_link(page, "Active").click()
    expect(todos).to_have_count(2)
    filter_link(page, "Completed").click()
    expect(todos).to_have_count(1)
    page.go_back()
    expect(todos).to_have_count(2)
    expect(filter_link(page, "Active")).to_have_class("selected")
    page.go_back()
    expect(todos).to_have_count(3)
    expect(filter_link(page, "All")).to_have_class("selected")


def test_should_allow_me_to_display_completed_items(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator(".toggle").check()
    expect(todos.nth(1)).to_have_class("completed")
    page.locator(".filters").get_by_text("Completed").click()
    expect(todos).to_have_count(1)
    expect(todos.locator("label")).to_have_text([TWO])


def test_should_allow_me_to_display_all_items(page: Page) -> None:
    todos = add_defaults(page)
    todos.nth(1).locator(".toggle").check()
    expect(todos.nth(1)).to_have_class("completed")
    page.locator(".filters").get_by_text("Active").click()
    expect(todos).to_have_count(2)
    page.locator(".filters").get_by_text("Completed").click()
    expect(todos).to_have_count(1)
    page.locator(".filters").get_by_text("All").click()
    expect(todos).to_have_count(3)


def test_should_highlight_the_currently_applied_filter(page: Page) -> None:
    add_defaults(page)
    expect(filter_link(page, "All")).to_have_class("selected")
    filter_link(page, "Active").click()
    expect(filter_link(page, "Active")).to_have_class("selected")
    expect(page.locator(".filters a.selected")).to_have_count(1)
    filter_link(page, "Completed").click()
    expect(filter_link(page, "Completed")).to_have_class("selected")
    expect(page.locator(".filters a.selected")).to_have_count(1)
