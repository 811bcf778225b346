"""HTTP for Reverse: one page and nothing else (the feature keeps no server state)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ironstar.features.reverse.views import reverse_app
from ironstar.services import Services


class ReverseRoutes:
    def __init__(self, services: Services) -> None:
        self.services = services

    def routes(self) -> list[Route]:
        return [Route("/reverse", self.page, methods=["GET"])]

    async def page(self, request: Request) -> Response:
        page = self.services.layout.page(
            page_title="Reverse", current_path="/reverse", content=reverse_app()
        )
        return HTMLResponse(str(page))
