"""The app factory: the one place where adapters are built and wired together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ironstar.feature import Feature, FeatureParts, discover_features
from ironstar.infra import EventBus, MemoryEventStore, SqliteEventStore, SqliteSnapshotStore
from ironstar.infra.event_store.deferred import DeferredStore
from ironstar.infra.outside_writes import wake_on_outside_writes, wake_on_postgres_notifications
from ironstar.infra.projections import ProjectionRunner
from ironstar.infra.sessions import SessionStore
from ironstar.kernel import CommandHandler, ConcurrencyError, EventStore, SnapshotStore
from ironstar.logs import configure_logging
from ironstar.services import Services
from ironstar.settings import Settings, load_settings
from ironstar.web import dev_reload, sdk_test
from ironstar.web.assets import MOUNT, Assets
from ironstar.web.icons import register_icons
from ironstar.web.layout import Layout
from ironstar.web.pages import http_error_handler
from ironstar.web.security import SecurityMiddleware
from ironstar.web.session import SessionMiddleware
from ironstar.web.streams import StreamHub, StreamingStarlette
from ironstar.web.topics import Topics

log = structlog.get_logger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    features: Sequence[Feature] | None = None,
    store: EventStore | None = None,
) -> Starlette:
    settings = settings or load_settings()
    configure_logging(level=settings.log_level, json=settings.json_logs)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    assets = Assets.load(settings.assets_dir, dev=settings.dev)
    register_icons(assets.icons)
    features = discover_features() if features is None else features
    services = _services(settings, assets, features, store)
    parts = [feature.setup(services) for feature in features]
    for projection in (p for part in parts for p in part.projections):
        services.projections.add(projection)

    app = StreamingStarlette(  # streams run outside the stack once their headers are out
        debug=False,
        routes=_routes(settings, services, assets, parts),
        middleware=[
            Middleware(
                SecurityMiddleware,
                max_body_bytes=settings.max_body_bytes,
                trusted_origins=settings.trusted_origins,
            ),
            Middleware(SessionMiddleware, store=services.sessions, secure=settings.secure_cookies),
        ],
        exception_handlers={
            HTTPException: http_error_handler(services.layout),
            ConcurrencyError: _conflict,
        },
        lifespan=lambda app: _lifespan(app, services, parts),
    )
    app.state.services = services
    app.state.shutdown = services.streams.shutdown
    return app


def _services(
    settings: Settings, assets: Assets, features: Sequence[Feature], store: EventStore | None
) -> Services:
    store = store or event_store(settings)
    bus = EventBus()
    snapshots = _snapshots(settings, store)
    nav = [f.nav for f in features if f.nav is not None]
    return Services(
        settings=settings,
        layout=Layout(assets=assets, nav=nav, dev=settings.dev),
        store=store,
        bus=bus,
        commands=CommandHandler(
            store,
            on_committed=bus.publish,
            snapshots=snapshots,
            snapshot_every=settings.snapshot_every,
        ),
        snapshots=snapshots,
        projections=ProjectionRunner(store, bus),
        sessions=SessionStore(settings.database_path, ttl_seconds=settings.session_ttl_seconds),
        streams=StreamHub(heartbeat_seconds=settings.heartbeat_seconds),
        topics=Topics(),
    )


def event_store(settings: Settings, *, durable: bool | None = None) -> EventStore:
    """The event log the settings name: PostgreSQL at `database_url` (opened by its first
    call, on the server's loop), else the SQLite file in the data directory."""
    if settings.database_url is None:
        durable = settings.durable if durable is None else durable
        return SqliteEventStore(settings.database_path, durable=durable)
    try:
        from ironstar.infra.event_store.postgres import PostgresEventStore
    except ImportError as exc:  # psycopg comes with the extra
        raise RuntimeError(
            "IRONSTAR_DATABASE_URL needs the PostgreSQL driver: install 'ironstar[postgres]'"
        ) from exc
    url = settings.database_url
    return DeferredStore(lambda: PostgresEventStore.open(url), name="postgresql")


def _snapshots(settings: Settings, store: EventStore) -> SnapshotStore | None:
    """Snapshots live beside the event log: in the SQLite file, or in PostgreSQL."""
    if settings.snapshot_every <= 0:
        return None
    if isinstance(store, SqliteEventStore):
        return SqliteSnapshotStore(store.path)
    if isinstance(store, DeferredStore) and settings.database_url is not None:
        from ironstar.infra.postgres_snapshots import PostgresSnapshotStore

        return PostgresSnapshotStore(settings.database_url)
    return None


def _routes(
    settings: Settings, services: Services, assets: Assets, parts: Sequence[FeatureParts]
) -> list[BaseRoute]:
    async def healthz(request: Request) -> Response:
        position = await services.store.last_position()
        return JSONResponse({"status": "ok", "position": position})

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route(MOUNT + "/{path:path}", assets.serve, methods=["GET", "HEAD"]),
    ]
    if settings.sdk_test:
        routes += sdk_test.routes
    if settings.dev:
        routes += dev_reload.routes(services)
    for part in parts:
        routes += part.routes
    return routes


@contextlib.asynccontextmanager
async def _lifespan(
    app: Starlette, services: Services, parts: Sequence[FeatureParts]
) -> AsyncIterator[None]:
    app.state.loop = asyncio.get_running_loop()
    services.bus.publish(await services.store.last_position())
    await services.projections.start()
    jobs: list[asyncio.Task[None]] = [
        asyncio.create_task(job()) for part in parts for job in part.background
    ]
    jobs.append(asyncio.create_task(_sweep_sessions(services)))
    jobs += _outside_writes(services)
    log.info("ironstar.started", position=services.bus.position, dev=services.settings.dev)
    try:
        yield
    finally:
        services.streams.shutdown.set()
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        await services.topics.close()
        await services.projections.stop()
        await services.store.close()
        if services.snapshots is not None:
            await services.snapshots.close()
        services.sessions.close()
        log.info("ironstar.stopped")


def _outside_writes(services: Services) -> list[asyncio.Task[None]]:
    """The task that wakes the bus for other processes' appends: PostgreSQL notifies,
    any other shared store is polled; an in-memory one has no other writer."""
    settings, store, bus = services.settings, services.store, services.bus
    every = settings.outside_writes_seconds
    if every <= 0 or isinstance(store, MemoryEventStore):
        return []
    if settings.database_url is not None and isinstance(store, DeferredStore):
        job = wake_on_postgres_notifications(settings.database_url, store, bus)
    else:
        job = wake_on_outside_writes(store, bus, every_seconds=every)
    return [asyncio.create_task(job)]


async def _conflict(request: Request, exc: Exception) -> Response:
    """Retries ran out on a hot stream: nothing was written; the client may try again."""
    log.warning("command.conflict", path=request.url.path, error=str(exc))
    return JSONResponse({"error": "busy, try again"}, status_code=409)


async def _sweep_sessions(services: Services, every_seconds: float = 3600) -> None:
    import time

    while True:
        removed = services.sessions.sweep(now=time.time())
        if removed:
            log.info("sessions.swept", removed=removed)
        await asyncio.sleep(every_seconds)
