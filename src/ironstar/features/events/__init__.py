"""Event log: a live tail of the whole store, filterable, resumable, with time travel."""

from __future__ import annotations

from ironstar.feature import Feature, FeatureParts
from ironstar.features.events.projections import EventIndex
from ironstar.features.events.routes import EventRoutes
from ironstar.services import Services
from ironstar.web.layout import NavEntry


def setup(services: Services) -> FeatureParts:
    index = EventIndex()
    return FeatureParts(routes=EventRoutes(services, index).routes(), projections=[index])


feature = Feature(
    name="events",
    setup=setup,
    nav=NavEntry(order=30, label="Event log", path="/events", icon="scroll-text"),
)
