"""Reverse: a client-only web component driven by local signals (no server state)."""

from __future__ import annotations

from ironstar.feature import Feature, FeatureParts
from ironstar.features.reverse.routes import ReverseRoutes
from ironstar.services import Services
from ironstar.web.layout import NavEntry


def setup(services: Services) -> FeatureParts:
    return FeatureParts(routes=ReverseRoutes(services).routes())


feature = Feature(
    name="reverse",
    setup=setup,
    nav=NavEntry(order=50, label="Reverse", path="/reverse", icon="repeat"),
)
