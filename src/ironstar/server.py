"""Run the app under uvicorn, ending SSE streams as soon as a shutdown signal arrives.

uvicorn waits for open responses before it runs the lifespan shutdown, so long-lived
streams would hold a SIGTERM for the whole graceful timeout; telling them first lets the
process exit within a second or two.
"""

from __future__ import annotations

import asyncio
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from ironstar.settings import Settings

GRACEFUL_SHUTDOWN_SECONDS = 3


class IronstarServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: Starlette) -> None:
        super().__init__(config)
        self._app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        shutdown: asyncio.Event | None = getattr(self._app.state, "shutdown", None)
        loop: asyncio.AbstractEventLoop | None = getattr(self._app.state, "loop", None)
        if shutdown is not None and loop is not None:
            loop.call_soon_threadsafe(shutdown.set)
        super().handle_exit(sig, frame)


def serve(settings: Settings) -> None:
    if settings.dev:
        _serve_with_reload(settings)
        return
    from ironstar.app import create_app

    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        proxy_headers=True,
    )
    IronstarServer(config, app).run()


def _serve_with_reload(settings: Settings) -> None:
    import os

    # The reloader starts fresh worker processes: hand them the settings via the environment.
    os.environ.update(
        {
            "IRONSTAR_HOST": settings.host,
            "IRONSTAR_PORT": str(settings.port),
            "IRONSTAR_DATA_DIR": str(settings.data_dir),
            "IRONSTAR_DEV": "1",
        }
    )
    uvicorn.run(
        "ironstar.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        reload=True,
        reload_dirs=["src"],
        timeout_graceful_shutdown=1,
        log_config=None,
    )
