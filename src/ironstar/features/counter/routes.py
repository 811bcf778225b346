"""HTTP for the counters: the page, one live stream of signal patches, and the commands.

Commands answer 204 once their event is durable; the stream, not the command response,
shows the new value, so every tab and every visitor sees the same thing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from cachetools import LRUCache
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from ironstar.features.counter.domain import (
    GLOBAL_ID,
    CounterCommand,
    Decrement,
    Increment,
    Reset,
    global_counter,
    session_counter,
)
from ironstar.features.counter.projections import Counters
from ironstar.features.counter.views import counter_app
from ironstar.kernel import DomainError
from ironstar.services import Services
from ironstar.web.session import current_session
from ironstar.web.sse import (
    SSE,
    SignalsError,
    read_signals_strict,
    refusal,
)
from ironstar.web.streams import EventStream

COMMANDS: dict[str, type[CounterCommand]] = {
    "increment": Increment,
    "decrement": Decrement,
    "reset": Reset,
}
DECIDERS = {"global": global_counter, "session": session_counter}


class PatchCache:
    """Render once, send many: one SSE string per counter version, shared by all streams."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self._global: tuple[int, str] = (-1, "")
        # Bounded: only sessions with open streams need their patch kept.
        self._sessions: LRUCache[str, tuple[int, str]] = LRUCache(4096)

    def global_patch(self) -> str:
        version = self.counters.global_version
        if self._global[0] != version:
            value = self.counters.global_value
            # id = the position the value reflects: the same bytes for every subscriber.
            self._global = (version, SSE.patch_signals({"global": value}, event_id=str(version)))
        return self._global[1]

    def session_patch(self, owner: str) -> str:
        version = self.counters.session_version(owner)
        cached = self._sessions.get(owner)
        if cached is None or cached[0] != version:
            value = self.counters.session(owner).value
            cached = (version, SSE.patch_signals({"session": value}))
            self._sessions[owner] = cached
        return cached[1]


class CounterRoutes:
    def __init__(self, services: Services, counters: Counters) -> None:
        self.services = services
        self.counters = counters
        self.patches = PatchCache(counters)

    def routes(self) -> list[Route]:
        return [
            Route("/counter", self.page, methods=["GET"]),
            Route("/api/counter/stream", self.stream, methods=["GET"]),
            Route("/api/counter/{scope}/{action}", self.command, methods=["POST"]),
        ]

    async def page(self, request: Request) -> Response:
        owner = current_session(request).owner
        await self.services.projections.wait_for(await self.services.store.last_position())
        content = counter_app(
            global_value=self.counters.global_value,
            session_value=self.counters.session(owner).value,
        )
        page = self.services.layout.page(
            page_title="Counter", current_path="/counter", content=content
        )
        return HTMLResponse(str(page))

    async def stream(self, request: Request) -> Response:
        owner = current_session(request).owner
        return EventStream(lambda: self._patches(owner), self.services.streams)

    async def _patches(self, owner: str) -> AsyncIterator[str]:
        """Subscribe first, then read: a change between the two still wakes this stream."""
        services = self.services
        async with services.bus.subscribe() as subscription:
            position = await services.store.last_position()
            await services.projections.wait_for(position)
            sent_global = sent_session = -1
            while True:
                if self.counters.session_version(owner) != sent_session:
                    sent_session = self.counters.session_version(owner)
                    yield self.patches.session_patch(owner)
                if self.counters.global_version != sent_global:
                    sent_global = self.counters.global_version
                    yield self.patches.global_patch()
                position = await subscription.wait(position)
                await services.projections.wait_for(position)

    async def command(self, request: Request) -> Response:
        decider = DECIDERS.get(request.path_params["scope"])
        command = COMMANDS.get(request.path_params["action"])
        if decider is None or command is None:
            return PlainTextResponse("Not found", status_code=404)
        try:
            await read_signals_strict(request)  # the body is ignored, but must be valid
        except SignalsError as exc:
            return PlainTextResponse(f"Bad request: {exc}", status_code=400)
        owner = current_session(request).owner
        aggregate_id = GLOBAL_ID if decider is global_counter else owner
        metadata = {"owner": owner, "command": command.__name__}
        try:
            await self.services.commands.handle(decider, aggregate_id, command(), metadata)
        except DomainError as exc:
            return _show_error(request, exc.message)
        return Response(status_code=204)


def _show_error(request: Request, message: str) -> Response:
    return refusal(request, SSE.patch_signals({"counterError": message}), 422)
