"""axe-core in real Chromium: no serious or critical violation on any example page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from ironstar.feature import discover_features
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / "web-components/node_modules/axe-core/axe.min.js"
# Every page in the navigation (whatever examples this project kept), plus the 404 page.
PAGES = [*(f.nav.path for f in discover_features() if f.nav), "/no-such-page"]


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_or_critical_violations(
    app_server: LiveServer, browser: Browser, path: str
) -> None:
    # axe is injected as an inline script, which our CSP rightly forbids to pages.
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(app_server.url + path)
        expect(page.locator("main")).to_be_visible()
        page.add_script_tag(path=str(AXE))
        results: dict[str, Any] = page.evaluate("axe.run()")
        bad = [
            f"{v['id']}: {[n['target'] for n in v['nodes']]} {v['nodes'][0]['failureSummary']}"
            for v in results["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        assert bad == [], bad
    finally:
        context.close()


def test_a_keyboard_user_sees_where_focus_is(app_server: LiveServer, browser: Browser) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(app_server.url + "/")
        page.keyboard.press("Tab")
        page.keyboard.press("Shift+Tab")  # back to the new-todo box, by keyboard
        expect(page.locator(".new-todo")).to_be_focused()
        outline = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; })()"
        )
        assert outline, "the focused element has no visible focus indicator"
    finally:
        context.close()
