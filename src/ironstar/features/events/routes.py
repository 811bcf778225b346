"""HTTP for the event log: the page, the live tail (`GET /api/events`) and time travel.

Tail contract: one SSE event per stored event, `id:` = its position. A request without
`Last-Event-ID` starts with the last 50 events (of the chosen aggregate type) and its
first event replaces `#event-rows` (mode `inner`); every other event is prepended, so
the newest row is on top. A reconnect with `Last-Event-ID: N` prepends exactly the
events after N. A tab left open keeps at most `MAX_ROWS` rows: once a stream has sent
more, each new row comes with a patch removing the oldest (a remove patch has no `id:`,
so it never moves the resume point). Bad input answers 400 to API clients; a browser
(Datastar) asking for an unknown aggregate type gets the unfiltered log instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from cachetools import LRUCache
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from ironstar.features.events.history import todos_at
from ironstar.features.events.projections import EventIndex
from ironstar.features.events.tail import tail
from ironstar.features.events.views import (
    ROWS,
    event_log_page,
    event_row,
    time_travel_error,
    time_travel_view,
)
from ironstar.features.todo.domain import todo_list
from ironstar.kernel import StoredEvent
from ironstar.services import Services
from ironstar.web.session import current_session
from ironstar.web.sse import (
    SSE,
    SignalsError,
    from_datastar,
    read_signals_strict,
    sse_response,
)
from ironstar.web.streams import EventStream

MAX_ROWS = 500
# Everything after the first MAX_ROWS rows of the table (the newest are on top).
OLDEST_ROWS = f"{ROWS} > tr:nth-child(n+{{first}})"


class BadInput(ValueError):
    """A request parameter a client got wrong (400 for API clients)."""


class EventRoutes:
    def __init__(self, services: Services, index: EventIndex) -> None:
        self.services = services
        self.index = index
        self.codec = services.commands.codec(todo_list)
        # Render once, send many: a row's bytes are the same for every tail.
        self._rows: LRUCache[int, str] = LRUCache(4096)

    def routes(self) -> list[Route]:
        return [
            Route("/events", self.page, methods=["GET"]),
            Route("/api/events", self.stream, methods=["GET"]),
            Route("/api/events/at", self.at, methods=["GET"]),
        ]

    async def _current(self) -> int:
        position = await self.services.store.last_position()
        await self.services.projections.wait_for(position)
        return position

    async def page(self, request: Request) -> Response:
        last = await self._current()
        content = event_log_page(known_types=self.index.known_types(), last_position=last)
        page = self.services.layout.page(
            page_title="Event log", current_path="/events", content=content
        )
        return HTMLResponse(str(page))

    async def stream(self, request: Request) -> Response:
        last = await self._current()
        try:
            signals = await read_signals_strict(request)
            aggregate_type = self._aggregate_type(request, signals)
            after = _last_event_id(request, last)
        except (SignalsError, BadInput) as exc:
            return PlainTextResponse(f"Bad request: {exc}", status_code=400)
        return EventStream(lambda: self._patches(after, aggregate_type), self.services.streams)

    def _aggregate_type(self, request: Request, signals: dict[str, Any]) -> str | None:
        raw = request.query_params.get("aggregate_type", signals.get("aggregate_type", ""))
        if raw in ("", None):
            return None
        if isinstance(raw, str) and raw in self.index.known_types():
            return raw
        if from_datastar(request):
            return None  # a stale or tampered select: show everything
        raise BadInput(f"unknown aggregate type {str(raw)[:80]!r}")

    async def _patches(self, after: int | None, aggregate_type: str | None) -> AsyncIterator[str]:
        start = self.index.backlog_start(aggregate_type) if after is None else after
        mode = "inner" if after is None else "prepend"  # a fresh tail resets the table
        # Rows this stream has put in the table. A resumed tab may hold older rows too:
        # the first trim (after MAX_ROWS new ones) removes them all at once.
        sent = 0
        trim = SSE.patch_elements(selector=OLDEST_ROWS.format(first=MAX_ROWS + 1), mode="remove")
        services = self.services
        async for event in tail(
            services.store, services.bus, after=start, aggregate_type=aggregate_type
        ):
            yield SSE.patch_elements(
                self._row(event), selector=ROWS, mode=mode, event_id=str(event.position)
            )
            mode = "prepend"
            sent += 1
            if sent > MAX_ROWS:
                yield trim

    def _row(self, event: StoredEvent) -> str:
        row = self._rows.get(event.position)
        if row is None:
            row = self._rows[event.position] = str(event_row(event))
        return row

    async def at(self, request: Request) -> Response:
        """Time travel: the session owner's todo list right after `position`."""
        try:
            position = await _position(request)
        except (SignalsError, BadInput) as exc:
            if from_datastar(request) and "position" not in request.query_params:
                return sse_response([SSE.patch_elements(time_travel_error(str(exc)))])
            return PlainTextResponse(f"Bad request: {exc}", status_code=400)
        owner = current_session(request).owner
        todos = await todos_at(self.services.store, self.codec, owner, position)
        return sse_response([SSE.patch_elements(time_travel_view(position=position, todos=todos))])


def _last_event_id(request: Request, last: int) -> int | None:
    """The position to resume after, or None for a fresh tail.

    An id beyond the log's end (a log that was reset) starts fresh rather than wait.
    """
    raw = request.headers.get("last-event-id", "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit():
        if from_datastar(request):
            return None
        raise BadInput("Last-Event-ID must be a non-negative integer position")
    position = int(raw)
    return position if position <= last else None


async def _position(request: Request) -> int:
    """`position` from the query string, else from the signals; a non-negative integer."""
    raw: object = request.query_params.get("position")
    if raw is None:
        raw = (await read_signals_strict(request)).get("position")
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise BadInput("Pick a position: a whole number, 0 or more.")
    if raw < 0:
        raise BadInput("A position is 0 or more.")
    return raw
