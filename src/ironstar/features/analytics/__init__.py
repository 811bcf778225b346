"""Analytics: the event log in DuckDB, a live dashboard with Vega-Lite and ECharts charts."""

from __future__ import annotations

import contextlib

from ironstar.feature import Feature, FeatureParts
from ironstar.features.analytics.routes import AnalyticsRoutes
from ironstar.infra.analytics import (
    AnalyticsFollower,
    AnalyticsProjection,
    AnalyticsService,
    QueryCache,
)
from ironstar.services import Services
from ironstar.web.layout import NavEntry

READERS = 2  # DuckDB cursors: the dashboard's queries run side by side


def setup(services: Services) -> FeatureParts:
    projection = AnalyticsProjection(services.settings.analytics_path)
    cache = QueryCache(ttl_seconds=30)
    analytics = AnalyticsService([projection.cursor() for _ in range(READERS)], cache)
    # No sqlite_scanner in the server (the follower's default): its own SQLite would drop
    # the locks this process's store writer holds whenever it closes the file.
    follower = AnalyticsFollower(projection, services.store)
    follower.listeners.append(cache.invalidate)
    services.extras["analytics_cache"] = cache.stats  # the monitor page shows hits/misses
    services.extras["analytics"] = analytics

    async def follow() -> None:
        try:
            await follower.follow(services.bus)
        finally:
            analytics.close()
            with contextlib.suppress(Exception):
                await follower.close()

    routes = AnalyticsRoutes(services, analytics, follower).routes()
    return FeatureParts(routes=routes, background=[follow])


feature = Feature(
    name="analytics",
    setup=setup,
    nav=NavEntry(order=35, label="Analytics", path="/analytics", icon="chart-column"),
)
