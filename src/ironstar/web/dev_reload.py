"""Dev live reload: each open tab reloads once after a server restart.

The page opens `/_dev/reload?boot=<id of the process that rendered it>`; a new process
sees a different id and tells the tab to reload. Datastar retries the stream while the
server is down, so the tab notices the restart as soon as the server is back.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ironstar.web.sse import SSE
from ironstar.web.streams import EventStream

if TYPE_CHECKING:
    from ironstar.services import Services

BOOT_ID = secrets.token_hex(8)
RELOAD_EFFECT = "$_reload && location.reload()"


def reload_attributes() -> dict[str, str]:
    """Attributes for the page body in dev mode."""
    return {
        "data-signals:_reload": "false",
        "data-init": f"@get('/_dev/reload?boot={BOOT_ID}', {{retryMaxCount: 1000}})",
        "data-effect": RELOAD_EFFECT,
    }


def routes(services: Services) -> list[Route]:
    async def reload_stream(request: Request) -> Response:
        stale = request.query_params.get("boot") != BOOT_ID

        async def events() -> AsyncIterator[str]:
            if stale:
                yield SSE.patch_signals({"_reload": True})
                return
            await services.streams.shutdown.wait()
            yield SSE.patch_signals({"_reload": False})  # unreachable in practice: ends stream

        return EventStream(events, services.streams)

    return [Route("/_dev/reload", reload_stream, methods=["GET"])]
