"""The dashboard in real Chromium: charts draw, follow commands live, cross-filter, no leaks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import PageProblems
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
CHARTS = "vega-chart, echarts-chart"
DRAWN = """() => [...document.querySelectorAll('vega-chart, echarts-chart')].every(
  el => el.shadowRoot && el.shadowRoot.querySelector('svg, canvas'))"""


# Swap the dashboard for a fresh copy (every chart disconnects, four new ones connect, as
# when navigating away and back) and resolve once each new chart has drawn.
REPLACE_AND_DRAW = """() => new Promise(resolve => {
  const board = document.querySelector('.dashboard');
  const copy = board.cloneNode(true);
  const drawn = new Set();
  copy.addEventListener('render', e => {
    drawn.add(e.target);
    if (drawn.size === 4) resolve(drawn.size);
  });
  board.replaceWith(copy);
})"""


def add_todos(page: Page, url: str, *texts: str) -> None:
    page.goto(url + "/")
    box = page.locator(".new-todo")
    for text in texts:
        box.fill(text)
        box.press("Enter")
        expect(page.locator(".todo-list li", has_text=text)).to_be_visible()


def test_charts_render_and_follow_commands_live(
    app_server: LiveServer, page: Page, problems: PageProblems
) -> None:
    add_todos(page, app_server.url, "chart me")
    page.goto(app_server.url + "/analytics")
    expect(page.locator(CHARTS)).to_have_count(4)
    page.wait_for_function(DRAWN, timeout=20_000)
    added = page.locator("#kpi-added dd")
    expect(added).to_have_text("1", timeout=10_000)

    other = page.context.new_page()  # a command from another tab shows up here, live
    add_todos(other, app_server.url, "second", "third")
    other.close()
    expect(added).to_have_text("3", timeout=10_000)
    rows = json.loads(page.locator("#chart-activity").get_attribute("data") or "[]")
    assert sum(r["count"] for r in rows if r["event_type"] == "TodoAdded") == 3
    assert problems.errors == []


def test_selecting_a_bar_filters_the_other_charts(
    app_server: LiveServer, page: Page, problems: PageProblems
) -> None:
    add_todos(page, app_server.url, "one", "two")
    page.goto(app_server.url + "/analytics")
    page.wait_for_function(DRAWN, timeout=20_000)
    expect(page.locator("#kpi-events dd")).to_have_text("2", timeout=10_000)
    # What the ECharts component dispatches when a bar is clicked.
    page.evaluate(
        """() => document.querySelector('#chart-mix').dispatchEvent(new CustomEvent('select', {
          bubbles: true, detail: {name: 'TodoCompleted', value: 0, seriesName: 'events'}}))"""
    )
    expect(page.locator("#analytics-clear")).to_be_visible()
    expect(page.locator("#kpi-events dd")).to_have_text("0", timeout=10_000)
    page.locator("#analytics-clear").click()
    expect(page.locator("#kpi-events dd")).to_have_text("2", timeout=10_000)
    page.select_option("#analytics-range", "15m")
    expect(page.locator("#kpi-events dd")).to_have_text("2", timeout=10_000)
    assert problems.errors == []


def test_navigating_away_and_back_leaks_no_chart_views(
    app_server: LiveServer, page: Page, problems: PageProblems
) -> None:
    """Charts are torn down on disconnect (the components count it in `__ironstarCharts`)."""
    add_todos(page, app_server.url, "leak check")
    page.goto(app_server.url + "/analytics")
    page.wait_for_function(DRAWN, timeout=20_000)
    for _ in range(20):
        drawn = page.evaluate(REPLACE_AND_DRAW)
        assert drawn == 4
    counters = page.evaluate("() => window.__ironstarCharts")
    assert counters["live"] == 4
    assert counters["finalized"] + counters["disposed"] == 20 * 4
    assert problems.errors == []


AXE = Path(__file__).resolve().parents[3] / "web-components/node_modules/axe-core/axe.min.js"


def test_drawn_charts_pass_axe_and_are_named_images(
    app_server: LiveServer, browser: Browser
) -> None:
    """Run axe after the charts have drawn (Vega's SVG marks, ECharts' canvas)."""
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    try:
        page = context.new_page()
        page.goto(app_server.url + "/analytics")
        page.wait_for_function(DRAWN, timeout=20_000)
        page.add_script_tag(path=str(AXE))
        results: dict[str, Any] = page.evaluate(
            "axe.run({include: [['vega-chart'], ['echarts-chart']]})"
        )
        assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in results["violations"]] == []
        for chart in page.locator(CHARTS).all():
            assert chart.get_attribute("role") == "img"
            assert chart.get_attribute("aria-label") == chart.get_attribute("label")
        names = page.evaluate(
            """() => [...document.querySelectorAll('vega-chart')].map(el => {
                 const doc = el.shadowRoot.querySelector('[role="graphics-document"]');
                 const marks = [...doc.querySelectorAll('[role="graphics-symbol"]')]
                   .filter(m => !m.closest('[aria-hidden="true"]'));
                 return [doc.getAttribute('aria-label'), marks.length];
               })"""
        )
        assert names == [["Activity", 0], ["Completion time", 0]]  # marks: aria-hidden
        echarts = page.evaluate(
            """() => [...document.querySelectorAll('echarts-chart')].map(
                 el => el.shadowRoot.querySelector('[role="img"]').getAttribute('aria-label'))"""
        )
        assert echarts == ["Event mix", "Busiest owners"]  # ECharts' aria, with our label
    finally:
        context.close()


def test_the_data_tables_show_the_numbers_stay_open_and_pass_axe(
    app_server: LiveServer, browser: Browser
) -> None:
    """Each chart's "Show data" table: the chart's numbers, live, open across updates."""
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    try:
        page = context.new_page()
        add_todos(page, app_server.url, "one", "two")
        page.goto(app_server.url + "/analytics")
        page.wait_for_function(DRAWN, timeout=20_000)
        tables = page.locator("details.chart-data")
        expect(tables).to_have_count(4)
        expect(page.locator("#data-mix table")).not_to_be_visible()  # collapsed by default
        for summary in page.locator("details.chart-data > summary").all():
            summary.click()
        mix = page.locator("#data-mix tbody tr")
        expect(mix).to_have_text(["TodoAdded2"], timeout=10_000)
        expect(page.locator("#data-owners tbody td")).to_have_text(["2", "2", "0"])

        other = context.new_page()  # a command from another tab: the open table follows
        add_todos(other, app_server.url, "three")
        other.close()
        expect(mix).to_have_text(["TodoAdded3"], timeout=10_000)
        assert page.evaluate(
            "() => [...document.querySelectorAll('details.chart-data')].every(d => d.open)"
        )
        page.add_script_tag(path=str(AXE))
        results: dict[str, Any] = page.evaluate("axe.run({include: [['.dashboard']]})")
        assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in results["violations"]] == []
    finally:
        context.close()
