"""The app factory wires snapshots on the store file: a restart starts from the last one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing

import apsw
import msgspec

from ironstar.app import create_app
from ironstar.infra import SqliteSnapshotStore
from ironstar.infra.event_store.connection import open_connection
from ironstar.services import Services
from ironstar.settings import Settings
from tests.kernel.counter import Add, CounterState, counter


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Services]:
    """The app from start-up to shutdown, without a server (no feature needed)."""
    app = create_app(settings, features=[])
    async with app.router.lifespan_context(app):
        yield app.state.services


def _snapshot_rows(settings: Settings) -> list[tuple[apsw.SQLiteValue, ...]]:
    with closing(open_connection(settings.database_path)) as conn:
        return conn.execute(
            "SELECT aggregate_id, decider_version, sequence, CAST(state AS TEXT) FROM snapshots"
        ).fetchall()


async def test_commands_leave_a_snapshot_in_the_store_file(settings: Settings) -> None:
    settings = msgspec.structs.replace(settings, snapshot_every=3)
    async with running(settings) as services:
        assert isinstance(services.snapshots, SqliteSnapshotStore)
        for _ in range(7):
            await services.commands.handle(counter, "c", Add(1))
    assert _snapshot_rows(settings) == [("c", 1, 6, '{"total":6,"closed":false}')]


async def test_after_a_restart_state_is_the_snapshot_plus_the_events_after_it(
    settings: Settings,
) -> None:
    settings = msgspec.structs.replace(settings, snapshot_every=3)
    async with running(settings) as services:
        for amount in range(1, 8):
            await services.commands.handle(counter, "c", Add(amount))
    async with running(settings) as services:
        assert await services.commands.load(counter, "c") == (CounterState(total=28), 7)
    # Proof that the load started from the snapshot, not from event 1: a doctored
    # snapshot shows through (its total 1000 instead of 21, then event 7 adds 7).
    with closing(open_connection(settings.database_path)) as conn:
        conn.execute("UPDATE snapshots SET state = CAST('{\"total\":1000}' AS BLOB)")
    async with running(settings) as services:
        assert await services.commands.load(counter, "c") == (CounterState(total=1007), 7)


async def test_snapshot_every_zero_turns_snapshots_off(settings: Settings) -> None:
    settings = msgspec.structs.replace(settings, snapshot_every=0)
    async with running(settings) as services:
        assert services.snapshots is None
        assert services.commands.snapshots is None
