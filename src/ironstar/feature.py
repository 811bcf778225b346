"""What a feature contributes, and how the app finds features without a central list.

Each package under `ironstar.features` exposes a module-level `feature = Feature(...)`.
Deleting a feature is deleting its folder (and its tests' folder): nothing else names it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

from ironstar.web.layout import NavEntry

if TYPE_CHECKING:
    from ironstar.infra.projections import Projection
    from ironstar.services import Services


@dataclass(frozen=True)
class FeatureParts:
    routes: Sequence[BaseRoute]
    projections: Sequence[Projection] = ()
    # Long-running jobs (tickers, sweepers) started with the app and cancelled at shutdown.
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = ()


@dataclass(frozen=True)
class Feature:
    name: str
    setup: Callable[[Services], FeatureParts]
    nav: NavEntry | None = None
    tags: frozenset[str] = field(default_factory=frozenset)


def discover_features(package: str = "ironstar.features") -> list[Feature]:
    root = importlib.import_module(package)
    found: list[Feature] = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        feature = getattr(module, "feature", None)
        if not isinstance(feature, Feature):
            raise TypeError(f"{package}.{info.name} must define `feature = Feature(...)`")
        found.append(feature)
    return found
