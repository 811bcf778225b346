"""HTTP for the monitor: the page and its stream; all measuring happens in the sampler."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ironstar.features.monitor.sampler import Sampler
from ironstar.features.monitor.views import monitor_app
from ironstar.services import Services
from ironstar.web.streams import EventStream, SharedView


class MonitorRoutes:
    def __init__(self, services: Services, sampler: Sampler) -> None:
        self.services = services
        self.sampler = sampler

    def routes(self) -> list[Route]:
        return [
            Route("/monitor", self.page, methods=["GET"]),
            Route("/api/monitor/stream", self.stream, methods=["GET"]),
        ]

    async def page(self, request: Request) -> Response:
        page = self.services.layout.page(
            page_title="Monitor",
            current_path="/monitor",
            content=monitor_app(sample=self.sampler.latest),
        )
        return HTMLResponse(str(page))

    async def stream(self, request: Request) -> Response:
        # Every viewer shows the same sample: one shared view, pushed to all of them.
        view = SharedView(self.services.topics, "monitor", self._patches)
        return EventStream(view, self.services.streams)

    async def _patches(self) -> AsyncIterator[str]:
        """The latest patch now, then each new one; a slow client skips to the newest."""
        sampler = self.sampler
        async with sampler.ticks.subscribe() as subscription:
            tick = sampler.tick
            yield sampler.patch
            while True:
                tick = await subscription.wait(tick)
                yield sampler.patch
