"""Analytics: the event log as a DuckDB dataset, queried with a cache that events invalidate."""

from ironstar.infra.analytics.cache import CacheStats, QueryCache
from ironstar.infra.analytics.follower import AnalyticsFollower
from ironstar.infra.analytics.projection import AnalyticsProjection
from ironstar.infra.analytics.queries import Filters
from ironstar.infra.analytics.remote import load_httpfs, remote_events, s3_secret
from ironstar.infra.analytics.service import AnalyticsService

__all__ = [
    "AnalyticsFollower",
    "AnalyticsProjection",
    "AnalyticsService",
    "CacheStats",
    "Filters",
    "QueryCache",
    "load_httpfs",
    "remote_events",
    "s3_secret",
]
