"""Dev live reload: each open tab reloads once after a server restart.

The page opens `/_dev/reload?boot=<id of the process that rendered it>`; a new process
sees a different id and tells the tab to reload. Datastar retries the stream while the
server is down, so the tab notices the restart as soon as the server is back. While
connected, the stream watches the dev build: CSS-only changes swap the stylesheets in
place (no reload, no lost state); any other change reloads the tab.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from watchfiles import awatch

from ironstar.web.sse import SSE
from ironstar.web.streams import EventStream

if TYPE_CHECKING:
    from ironstar.services import Services

BOOT_ID = secrets.token_hex(8)
RELOAD_EFFECT = "$_reload && location.reload()"
# Re-fetch every stylesheet with a cache-busting query; a constant expression.
RESTYLE_EFFECT = (
    "$_css && document.querySelectorAll('link[rel=stylesheet]')"
    ".forEach(l => l.href = l.href.split('?')[0] + '?v=' + $_css)"
)
STYLE_SUFFIXES = frozenset({".css", ".map", ".br", ".gz"})


def reload_attributes() -> dict[str, str]:
    """Attributes for the page body in dev mode."""
    return {
        "data-signals": "{_reload: false, _css: 0}",
        "data-init": f"@get('/_dev/reload?boot={BOOT_ID}', {{retryMaxCount: 1000}})",
        "data-effect": f"{RELOAD_EFFECT}; {RESTYLE_EFFECT}",
    }


def routes(services: Services) -> list[Route]:
    async def reload_stream(request: Request) -> Response:
        stale = request.query_params.get("boot") != BOOT_ID

        async def events() -> AsyncIterator[str]:
            if stale:
                yield SSE.patch_signals({"_reload": True})
                return
            watch = services.settings.assets_dir
            async for changes in awatch(watch, stop_event=services.streams.shutdown):
                if all(Path(path).suffix in STYLE_SUFFIXES for _, path in changes):
                    yield SSE.patch_signals({"_css": time.time_ns() // 1_000_000})
                else:
                    yield SSE.patch_signals({"_reload": True})
                    return

        return EventStream(events, services.streams)

    return [Route("/_dev/reload", reload_stream, methods=["GET"])]
