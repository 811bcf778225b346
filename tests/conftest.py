"""Shared fixtures: settings on a temp data dir, a fake asset build, a live server."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

from ironstar.app import create_app
from ironstar.settings import PACKAGE_DIR, Settings

REAL_STATIC = PACKAGE_DIR / "static"
# Browser fixtures are registered once for the whole run: one Playwright, one Chromium.
pytest_plugins = ["tests.browser_support"]


def write_fake_assets(root: Path) -> Path:
    """A minimal Vite-shaped build, so HTTP tests don't depend on `npm run build`."""
    dist = root / "dist"
    (dist / ".vite").mkdir(parents=True)
    (dist / "assets").mkdir()
    files = {
        "src/main.ts": ("assets/main-abc123.js", ["assets/main-abc123.css"]),
        "src/analytics.ts": ("assets/analytics-abc123.js", []),
        "vendor/datastar.js": ("assets/datastar-abc123.js", []),
        "src/favicon.svg": ("assets/favicon-abc123.svg", []),
    }
    manifest = {}
    for key, (file, css) in files.items():
        (dist / file).write_text(f"/* {key} */")
        for sheet in css:
            (dist / sheet).write_text("body{}")
        manifest[key] = {"file": file, "css": css, "isEntry": True}
    (dist / "assets" / "main-abc123.js.gz").write_bytes(gzip.compress(b"/* src/main.ts */"))
    (dist / ".vite" / "manifest.json").write_text(json.dumps(manifest))
    (dist / "icons.json").write_text(json.dumps({"star": "<svg></svg>"}))
    return root


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    static = write_fake_assets(tmp_path / "static")
    # httpx, unlike browsers, won't send Secure cookies to http://127.0.0.1.
    return Settings(
        data_dir=tmp_path / "data",
        static_root=static,
        sdk_test=True,
        log_level="warning",
        cookie_secure=False,
    )


@dataclass
class LiveServer:
    url: str
    app: Starlette
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(app: Starlette) -> LiveServer:
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        timeout_graceful_shutdown=1,
        loop="asyncio",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.01)
    return LiveServer(f"http://127.0.0.1:{port}", app, server, thread)


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveServer]:
    server = start_server(create_app(settings))
    yield server
    server.stop()


@pytest.fixture
def make_live() -> Iterator[Callable[[Settings], LiveServer]]:
    servers: list[LiveServer] = []

    def make(settings: Settings) -> LiveServer:
        servers.append(start_server(create_app(settings)))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.hookimpl(trylast=True)  # after `-m` has deselected what it will
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a run that mixes browser and other tests, with the way out in the message.

    Playwright's sync API keeps its own event loop running on the main thread for the
    whole session, which breaks every asyncio test that runs after it.
    """
    browser = sum(1 for item in items if item.get_closest_marker("browser"))
    if 0 < browser < len(items):
        raise pytest.UsageError(
            "browser tests run in a session of their own: use `pytest -m 'not browser'` "
            "and `pytest -m browser` (`make test` runs both)"
        )
