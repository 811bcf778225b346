"""The app on a PostgreSQL event log (`IRONSTAR_DATABASE_URL`): commands, restarts and
writes from other processes, through the app factory. Needs the test server, like
`tests/infra/test_postgres_store.py` (skipped without it unless CI requires it)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing

import httpx
import msgspec
import psycopg
import pytest

from ironstar.app import create_app, event_store
from ironstar.infra import EventBus
from ironstar.infra.event_store import PostgresEventStore
from ironstar.infra.event_store.connection import open_connection
from ironstar.infra.outside_writes import wake_on_postgres_notifications
from ironstar.infra.postgres_snapshots import PostgresSnapshotStore
from ironstar.services import Services
from ironstar.settings import Settings
from tests.infra.store_contract import new
from tests.infra.test_postgres_store import conninfo  # noqa: F401 - a fixture
from tests.kernel.counter import Add, CounterState, counter

DS = {"datastar-request": "true"}


@pytest.fixture
def pg_settings(settings: Settings, conninfo: str) -> Settings:  # noqa: F811 - the fixture
    return msgspec.structs.replace(settings, database_url=conninfo)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Services]:
    """The app from start-up to shutdown, without a server (no feature needed)."""
    app = create_app(settings, features=[])
    async with app.router.lifespan_context(app):
        yield app.state.services


@pytest.mark.postgres
async def test_commands_are_stored_in_postgresql_and_survive_a_restart(
    pg_settings: Settings,
) -> None:
    async with running(pg_settings) as services:
        for amount in (1, 2, 3):
            await services.commands.handle(counter, "c", Add(amount))
    with closing(open_connection(pg_settings.database_path)) as local:  # sessions only
        tables = {row[0] for row in local.execute("SELECT name FROM sqlite_master")}
    assert "events" not in tables
    other = await PostgresEventStore.open(pg_settings.database_url or "")
    assert [e.sequence for e in await other.read_stream("counter", "c")] == [1, 2, 3]
    await other.close()
    async with running(pg_settings) as services:
        assert await services.commands.load(counter, "c") == (CounterState(total=6), 3)


@pytest.mark.postgres
async def test_snapshots_are_kept_in_postgresql_too(pg_settings: Settings) -> None:
    settings = msgspec.structs.replace(pg_settings, snapshot_every=2)
    async with running(settings) as services:
        assert isinstance(services.snapshots, PostgresSnapshotStore)
        for amount in (1, 2, 3):
            await services.commands.handle(counter, "c", Add(amount))
    snapshots = PostgresSnapshotStore(settings.database_url or "")
    stored = await snapshots.get("counter", "c")
    await snapshots.close()
    assert stored is not None
    assert (stored.sequence, stored.state) == (2, b'{"total":3,"closed":false}')


@pytest.mark.postgres
async def test_the_todo_app_runs_on_postgresql(pg_settings: Settings) -> None:
    app = create_app(pg_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await client.get("/")  # the session cookie
            added = await client.post("/api/todos", json={"input": "stored far"}, headers=DS)
            assert added.status_code == 200
            assert "stored far" in (await client.get("/")).text
            assert (await client.get("/healthz")).json()["position"] == 1


@pytest.mark.postgres
async def test_an_append_by_another_process_wakes_the_app_at_once(pg_settings: Settings) -> None:
    """Pushed by `NOTIFY` at commit: a poll every 30 s would miss the 5 s deadline."""
    settings = msgspec.structs.replace(pg_settings, outside_writes_seconds=30.0)
    async with running(settings) as services:
        start = services.bus.position
        async with services.bus.subscribe() as subscription:
            other = await PostgresEventStore.open(settings.database_url or "")
            await other.append("probe", "p", 0, [new()])  # nothing here publishes it
            await other.close()
            assert await asyncio.wait_for(subscription.wait(start), 5) == start + 1


@pytest.mark.postgres
async def test_the_listener_publishes_notified_positions_and_skips_foreign_ones(
    conninfo: str,  # noqa: F811 - the fixture
) -> None:
    store = await PostgresEventStore.open(conninfo)
    bus = EventBus()
    listener = asyncio.create_task(wake_on_postgres_notifications(conninfo, store, bus))
    async with bus.subscribe() as subscription:
        await store.append("probe", "p", 0, [new(), new()])
        assert await asyncio.wait_for(subscription.wait(0), 5) == 2
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as other:
            await other.execute("SELECT pg_notify('ironstar_events', 'not a position')")
            await other.execute("SELECT pg_notify('ironstar_events', '7')")
        assert await asyncio.wait_for(subscription.wait(2), 5) == 7
    assert not listener.done()  # a foreign payload did not end it
    listener.cancel()
    await store.close()


def test_a_database_url_without_the_driver_is_a_clear_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ironstar.infra.event_store.postgres", None)
    url = msgspec.structs.replace(settings, database_url="postgresql://x@localhost/y")
    with pytest.raises(RuntimeError, match=r"ironstar\[postgres\]"):
        event_store(url)
