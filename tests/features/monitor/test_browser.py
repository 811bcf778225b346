"""The monitor in real Chromium: the numbers change without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser_support import PageProblems
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_the_readings_update_every_second(
    app_server: LiveServer, page: Page, problems: PageProblems
) -> None:
    page.goto(app_server.url + "/monitor")
    streams = page.locator("#reading-open_streams [data-text]")
    expect(streams).to_have_text("1", timeout=10_000)  # this page's own stream
    # A second viewer opens a stream: the next sample (once a second) shows it here,
    # without a reload. (Host memory, watched before, can stay put on an idle machine.)
    other = page.context.new_page()
    other.goto(app_server.url + "/monitor")
    expect(streams).to_have_text("2", timeout=10_000)
    other.close()
    expect(streams).to_have_text("1", timeout=10_000)
    assert page.locator("#reading-position [data-text]").inner_text().isdigit()
    assert page.locator("#reading-memory_used_mb [data-text]").inner_text() != ""
    # The analytics feature publishes its cache stats, so the tile shows a count.
    assert page.locator("#reading-cache_hits [data-text]").inner_text().isdigit()
    meter = page.locator(".monitor-gauge meter").first
    assert 0 <= float(meter.get_attribute("value") or "-1") <= 100
    assert problems.errors == []
