"""Counter: a global counter broadcast to everyone and a per-session one, as signal patches."""

from __future__ import annotations

from ironstar.feature import Feature, FeatureParts
from ironstar.features.counter.domain import global_counter
from ironstar.features.counter.projections import Counters
from ironstar.features.counter.routes import CounterRoutes
from ironstar.services import Services
from ironstar.web.layout import NavEntry


def setup(services: Services) -> FeatureParts:
    counters = Counters(services.commands.codec(global_counter))
    return FeatureParts(routes=CounterRoutes(services, counters).routes(), projections=[counters])


feature = Feature(
    name="counter",
    setup=setup,
    nav=NavEntry(order=20, label="Counter", path="/counter", icon="plus"),
)
