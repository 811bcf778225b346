"""Offline chores behind the CLI: seeding demo data and rebuilding projections.

Both open the SQLite store themselves (the server need not run; if it does, its bus
does not hear these writes until its next wake-up or restart).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from ironstar.settings import Settings

ANALYTICS = "analytics"
DEMO_SPAN = timedelta(days=3)
DEMO_WORKERS = 32  # concurrent owners: the store's writer group-commits their appends


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def seed_demo(settings: Settings, *, events: int, seed: int) -> int:
    """Write about `events` demo todo events through the command path; exit code 0."""
    console = Console()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with _progress(console) as progress:
        task = progress.add_task("seeding demo events", total=events)
        written = asyncio.run(
            _seed(settings, events, seed, lambda n: progress.update(task, completed=n))
        )
    seconds = time.perf_counter() - started
    console.print(
        f"Seeded {written:,} events into {_where(settings)}"
        f" in {seconds:.1f} s ({written / seconds:,.0f} events/s)"
    )
    return 0


async def _seed(settings: Settings, events: int, seed: int, report: Callable[[int], None]) -> int:
    from ironstar.app import event_store
    from ironstar.features.analytics.demo import DemoClock, DemoOwner, owner_ids, pick_weights
    from ironstar.features.todo.domain import todo_list
    from ironstar.kernel import CommandHandler, DomainError

    rng = random.Random(seed)  # noqa: S311 (demo data, repeatable from a seed)
    owners = [
        DemoOwner(o, random.Random(rng.random()))  # noqa: S311
        for o in owner_ids(rng, _owners(events))
    ]
    weights = pick_weights(len(owners))
    clock = DemoClock(rng, events=events, end=datetime.now(UTC), span=DEMO_SPAN)
    store = event_store(settings, durable=False)
    commands = CommandHandler(store)
    written = 0
    # One command at a time per owner keeps its mirror exact; waiting on a lock (not
    # spinning) leaves the CPU to the store's writer.
    locks = {o.owner: asyncio.Lock() for o in owners}

    async def worker() -> None:
        nonlocal written
        while written < events:
            owner = rng.choices(owners, weights)[0]
            async with locks[owner.owner]:
                command, metadata = owner.next_command(), {"occurred_at": clock.tick()}
                metadata["command"] = type(command).__name__
                try:
                    stored = await commands.handle(todo_list, owner.owner, command, metadata)
                except DomainError:
                    stored = []
            written += len(stored)
            report(min(written, events))

    try:
        await asyncio.gather(*(worker() for _ in range(DEMO_WORKERS)))
    finally:
        await store.close()
    return written


def _where(settings: Settings) -> str:
    """The event log's place, for messages (a database URL may carry a password)."""
    return "the PostgreSQL event log" if settings.database_url else str(settings.database_path)


def _owners(events: int) -> int:
    return max(5, min(2_000, events // 150))


def rebuild_projections(settings: Settings, name: str | None) -> int:
    """Rebuild one projection by name, or all; `analytics` is the DuckDB one."""
    console = Console()
    if name is None or name != ANALYTICS:
        _rebuild_sqlite_projections(settings, name, console)
    if name is None or name == ANALYTICS:
        _rebuild_analytics(settings, console)
    return 0


def _rebuild_analytics(settings: Settings, console: Console) -> None:
    from ironstar.app import event_store
    from ironstar.infra.analytics import AnalyticsFollower, AnalyticsProjection
    from ironstar.infra.analytics.follower import SCAN_THRESHOLD

    async def run() -> tuple[int, float]:
        store = event_store(settings, durable=False)
        # This process only reads the store: the scanner is safe here (see the follower);
        # it reads a SQLite file, any other store goes through the port.
        follower = AnalyticsFollower(
            AnalyticsProjection(settings.analytics_path), store, scan_threshold=SCAN_THRESHOLD
        )
        try:
            with _progress(console) as progress:
                task = progress.add_task(f"rebuilding {ANALYTICS}", total=None)
                return await follower.rebuild(
                    lambda done, total: progress.update(task, completed=done, total=total)
                )
        finally:
            await follower.close()
            await store.close()

    events, seconds = asyncio.run(run())
    rate = events / seconds if seconds else float("inf")
    console.print(
        f"Rebuilt {ANALYTICS} ({settings.analytics_path}): {events:,} events"
        f" in {seconds:.2f} s ({rate:,.0f} events/s)"
    )


def _rebuild_sqlite_projections(settings: Settings, name: str | None, console: Console) -> None:
    """The features' SQLite/in-memory projections, through the projection runner.

    The projections come from the features themselves (an app built, never started).
    """
    from ironstar.app import create_app, event_store
    from ironstar.infra.rebuild_cli import run_rebuild

    app = create_app(settings)
    services = app.state.services
    projections = list(services.projections.projections.values())
    try:
        if name is None and not projections:
            return
        run_rebuild(event_store(settings, durable=False), projections, name, console)
    finally:
        asyncio.run(services.store.close())
        services.sessions.close()
