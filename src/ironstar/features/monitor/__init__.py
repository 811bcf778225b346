"""Monitor: live host and app metrics, sampled once for all viewers, as signal patches."""

from __future__ import annotations

from ironstar.feature import Feature, FeatureParts
from ironstar.features.monitor.routes import MonitorRoutes
from ironstar.features.monitor.sampler import Sampler
from ironstar.services import Services
from ironstar.web.layout import NavEntry


def setup(services: Services) -> FeatureParts:
    sampler = Sampler(services)
    return FeatureParts(routes=MonitorRoutes(services, sampler).routes(), background=[sampler.run])


feature = Feature(
    name="monitor",
    setup=setup,
    nav=NavEntry(order=40, label="Monitor", path="/monitor", icon="activity"),
)
