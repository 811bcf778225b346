"""The counter in real Chromium: one click reaches another visitor live."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import PageProblems
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_a_global_increment_shows_in_another_browser_but_a_session_one_does_not(
    app_server: LiveServer, browser: Browser, page: Page, problems: PageProblems
) -> None:
    other_context = browser.new_context()  # another visitor: its own session cookie
    other = other_context.new_page()
    problems.watch(other)
    for p in (page, other):
        p.goto(app_server.url + "/counter")
        expect(p.locator(".connection")).to_have_text("online", timeout=10_000)
    global_value = "#counter-global .counter-value"
    session_value = "#counter-session .counter-value"

    page.get_by_role("button", name="Increase (global)").click()
    expect(other.locator(global_value)).to_have_text("1", timeout=10_000)
    expect(page.locator(global_value)).to_have_text("1")

    page.get_by_role("button", name="Increase (session)").click()
    page.get_by_role("button", name="Increase (session)").click()
    expect(page.locator(session_value)).to_have_text("2", timeout=10_000)
    other.get_by_role("button", name="Decrease (global)").click()
    expect(page.locator(global_value)).to_have_text("0", timeout=10_000)
    expect(other.locator(session_value)).to_have_text("0")

    page.reload()  # the values are events, so a reload shows the same numbers
    expect(page.locator(session_value)).to_have_text("2")
    other_context.close()
    assert problems.errors == []
