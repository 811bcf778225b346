"""`ironstar projections rebuild [NAME]`: replay the log into projections, with a progress bar.

It needs the store (or the path of a SQLite store file) and the projections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from ironstar.infra.bus import EventBus
from ironstar.infra.event_store import SqliteEventStore
from ironstar.infra.projections import Projection, ProjectionRunner, RebuildStats
from ironstar.kernel import EventStore


def run_rebuild(
    source: Path | EventStore,
    projections: Sequence[Projection],
    name: str | None = None,
    console: Console | None = None,
) -> RebuildStats:
    """Rebuild `name` (or every projection) from position 0 and print the throughput."""
    console = console or Console()
    known = {p.name for p in projections}
    if name is not None and name not in known:
        raise SystemExit(f"no projection named {name!r}; known: {', '.join(sorted(known))}")
    stats = asyncio.run(_rebuild(source, projections, name, console))
    console.print(
        f"Rebuilt {name or 'all projections'}: {stats.events:,} events"
        f" in {stats.seconds:.2f} s ({stats.per_second:,.0f} events/s)"
    )
    return stats


async def _rebuild(
    source: Path | EventStore,
    projections: Sequence[Projection],
    name: str | None,
    console: Console,
) -> RebuildStats:
    """Replay on this run's loop; the store is closed afterwards (one opened on first use,
    such as PostgreSQL's, is opened here)."""
    store = (
        await SqliteEventStore.open(source, durable=False) if isinstance(source, Path) else source
    )
    try:
        runner = ProjectionRunner(store, EventBus(), projections)
        columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeRemainingColumn(), console=console) as progress:
            task = progress.add_task("rebuilding", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            return await runner.rebuild(name, report)
    finally:
        await store.close()
