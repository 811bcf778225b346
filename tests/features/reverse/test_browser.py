"""Reverse in real Chromium: typing drives the component; nothing goes to the server."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser_support import PageProblems
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_typing_reverses_by_grapheme_without_talking_to_the_server(
    app_server: LiveServer, page: Page, problems: PageProblems
) -> None:
    page.goto(app_server.url + "/reverse")  # waits for `load`: module scripts have run
    sent: list[str] = []

    def record(request: Request) -> None:
        if "/static/" not in request.url:  # the favicon may load late; that is fine
            sent.append(request.url)

    page.on("request", record)
    page.get_by_label("Text to reverse").fill("👍🏽 héllo")
    expect(page.locator("#reverse-shown")).to_have_text("olléh 👍🏽")
    expect(page.locator("#reverse-reported")).to_have_text("olléh 👍🏽")
    payload = "'); alert(1); ('${x}"  # aimed at an expression: must stay plain text
    page.get_by_label("Text to reverse").fill(payload)
    expect(page.locator("#reverse-reported")).to_have_text(payload[::-1])
    assert sent == []
    assert problems.errors == []
