"""Browser test support: Debian's Chromium under Playwright, with console/network checks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    sync_playwright,
)

from ironstar.settings import Settings
from tests.conftest import REAL_STATIC, LiveServer, start_server

CHROMIUM = os.environ.get("IRONSTAR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class PageProblems:
    """Console errors and failed requests seen by a page; a test ends by asserting none."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"{response.status} {response.url}")

    def _failed(self, request: Request) -> None:
        # Streams cut by navigation or page close are expected; anything else is a problem.
        if "/api/" not in request.url and "/_dev/" not in request.url:
            self.errors.append(f"failed: {request.url} {request.failure}")


def app_settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, static_root=REAL_STATIC, log_level="warning")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def app_server(tmp_path: Path) -> Iterator[LiveServer]:
    from ironstar.app import create_app

    server = start_server(create_app(app_settings(tmp_path / "data")))
    yield server
    server.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    yield context
    context.close()


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(context: BrowserContext, problems: PageProblems) -> Iterator[Page]:
    page = context.new_page()
    problems.watch(page)
    yield page
    page.close()
