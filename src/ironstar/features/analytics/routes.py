"""HTTP for the dashboard: the page, and its live stream of chart data.

The stream re-queries when the projection commits new events (debounced) and every
`refresh_seconds` (a relative time range moves even when nothing happens), and sends
the charts' data as signal patches, the KPI tiles and the charts' data tables as element
patches (all from the same answers).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from ironstar.features.analytics import charts
from ironstar.features.analytics.tables import Answers, data_tables
from ironstar.features.analytics.views import ChartData, analytics_app, summary_region
from ironstar.infra.analytics import AnalyticsFollower, AnalyticsService, Filters
from ironstar.infra.analytics.queries import RANGES, Summary
from ironstar.services import Services
from ironstar.web.sse import SSE, SignalsError, read_signals_strict
from ironstar.web.streams import EventStream

PAGE_PATH = "/analytics"
MAX_FILTER = 128  # owner ids and event types are short; longer input is not a filter


class Board(msgspec.Struct, frozen=True):
    """Everything one render of the dashboard shows."""

    summary: Summary
    median: float | None
    data: ChartData
    answers: Answers


class AnalyticsRoutes:
    def __init__(
        self,
        services: Services,
        analytics: AnalyticsService,
        follower: AnalyticsFollower,
        *,
        debounce_seconds: float = 0.25,
        refresh_seconds: float = 30.0,
    ) -> None:
        self.services = services
        self.analytics = analytics
        self.follower = follower
        self.debounce_seconds = debounce_seconds
        self.refresh_seconds = refresh_seconds

    def routes(self) -> list[Route]:
        return [
            Route(PAGE_PATH, self.page, methods=["GET"]),
            Route("/api/analytics/stream", self.stream, methods=["GET"]),
        ]

    async def page(self, request: Request) -> Response:
        filters = filters_from(dict(request.query_params))
        board = await self.dashboard(filters)
        page = self.services.layout.page(
            page_title="Analytics",
            current_path=PAGE_PATH,
            content=analytics_app(
                filters=filters,
                summary=board.summary,
                median=board.median,
                data=board.data,
                answers=board.answers,
            ),
            entries=["src/analytics.ts"],
        )
        return HTMLResponse(str(page))  # htpy renders the doctype with <html>

    async def stream(self, request: Request) -> Response:
        try:
            signals = await read_signals_strict(request)
        except SignalsError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        filters = filters_from(signals)
        return EventStream(lambda: self._updates(filters), self.services.streams)

    async def dashboard(self, f: Filters) -> Board:
        a = self.analytics
        summary, activity, completion, mix, owners = await asyncio.gather(
            a.summary(f), a.activity(f), a.completion_times(f), a.event_mix(f), a.busiest_owners(f)
        )
        data = ChartData(
            activity=charts.to_json(charts.activity_data(activity)),
            completion=charts.to_json(charts.completion_data(completion)),
            mix=charts.to_json(charts.mix_option(mix, selected=f.event_type)),
            owners=charts.to_json(charts.owners_option(owners, selected=f.owner)),
        )
        answers = Answers(activity, completion, mix, owners)
        return Board(summary, completion.median_seconds, data, answers)

    async def _updates(self, filters: Filters) -> AsyncIterator[str]:
        async with self.follower.applied.subscribe() as subscription:
            sent: Board | None = None
            while True:
                position = self.follower.position
                board = await self.dashboard(filters)
                if board != sent:  # a refresh with nothing new sends nothing
                    sent = board
                    yield SSE.patch_signals({"_charts": msgspec.structs.asdict(board.data)})
                    yield SSE.patch_elements(
                        summary_region(summary=board.summary, median=board.median)
                    )
                    for table in data_tables(board.answers):
                        yield SSE.patch_elements(table)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.refresh_seconds):
                        await subscription.wait(position)
                await asyncio.sleep(self.debounce_seconds)


def filters_from(signals: dict[str, Any]) -> Filters:
    """Filters from signals or query parameters; anything unexpected falls back to a default."""
    range_ = signals.get("range")
    owner, event_type = signals.get("owner"), signals.get("eventType")
    return Filters(
        range=range_ if isinstance(range_, str) and range_ in RANGES else "all",  # type: ignore[arg-type]
        owner=owner if isinstance(owner, str) and len(owner) <= MAX_FILTER else "",
        event_type=event_type
        if isinstance(event_type, str) and len(event_type) <= MAX_FILTER
        else "",
    )
