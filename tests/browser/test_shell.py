"""The page shell in real Chromium: assets load, Datastar starts, nothing errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser_support import PageProblems
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_the_datastar_runtime_starts_and_every_asset_loads(
    app_server: LiveServer, page: Page, problems: PageProblems
) -> None:
    statuses: dict[str, int] = {}
    page.on("response", lambda r: statuses.__setitem__(r.url, r.status))
    page.goto(app_server.url + "/")
    # The server renders the label empty; only a running Datastar fills it in.
    expect(page.locator(".connection")).to_have_text("online", timeout=10_000)
    assets = {url: s for url, s in statuses.items() if "/static/" in url}
    assert any("datastar" in url for url in assets)
    assert all(status == 200 for status in assets.values()), assets
    assert problems.errors == []
