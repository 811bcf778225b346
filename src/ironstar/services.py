"""The wired adapters a feature may use; built once by the app factory (`ironstar.app`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ironstar.infra.bus import EventBus
    from ironstar.infra.projections import ProjectionRunner
    from ironstar.infra.sessions import SessionStore
    from ironstar.kernel import CommandHandler, EventStore, SnapshotStore
    from ironstar.settings import Settings
    from ironstar.web.layout import Layout
    from ironstar.web.streams import StreamHub
    from ironstar.web.topics import Topics


@dataclass
class Services:
    settings: Settings
    layout: Layout
    store: EventStore
    bus: EventBus
    commands: CommandHandler
    snapshots: SnapshotStore | None  # the one `commands` writes to, if any
    projections: ProjectionRunner
    sessions: SessionStore
    streams: StreamHub
    # Shared views: render once per change for every stream that shows the same thing.
    topics: Topics
    # Typed extension point: features publish values others may read (e.g. cache stats).
    extras: dict[str, Any] = field(default_factory=dict)
