"""The store contract on PostgreSQL, each test in a schema of its own.

Needs a server: `export IRONSTAR_TEST_POSTGRES_URL=$(scripts/start-test-postgres)`.
Without the variable these tests are skipped, unless `IRONSTAR_REQUIRE_POSTGRES=1` (CI),
which turns a missing URL or an unreachable server into failures.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from uuid import uuid4

import psycopg
import pytest
from msgspec.structs import replace
from psycopg import sql
from psycopg.conninfo import make_conninfo

from ironstar.infra.event_store import PostgresEventStore
from ironstar.kernel import ConcurrencyError, DuplicateEventError, EventStore
from tests.infra.store_contract import StoreContract, new

URL = "IRONSTAR_TEST_POSTGRES_URL"
REQUIRE = "IRONSTAR_REQUIRE_POSTGRES"


def postgres_url() -> str:
    """The server to test against; skips (or, when required, fails) without one."""
    if url := os.environ.get(URL):
        return url
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{REQUIRE}=1 but {URL} is not set (see scripts/start-test-postgres)")
    pytest.skip(f"{URL} is not set: export {URL}=$(scripts/start-test-postgres) to run these")


@pytest.fixture
async def conninfo() -> AsyncIterator[str]:
    """A connection string whose search_path is a fresh schema, dropped afterwards."""
    url = postgres_url()
    schema = f"test_{uuid4().hex}"
    name = sql.Identifier(schema)
    async with await psycopg.AsyncConnection.connect(
        url, autocommit=True, connect_timeout=10
    ) as admin:
        await admin.execute(sql.SQL("CREATE SCHEMA {}").format(name))
        try:
            yield make_conninfo(url, options=f"-c search_path={schema}")
        finally:
            await admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(name))


async def execute(conninfo: str, query: str, *args: object) -> None:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute(query, args)


@pytest.mark.postgres
class TestPostgresEventStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _schema(self, conninfo: str) -> None:
        self.conninfo = conninfo

    async def make_store(self) -> EventStore:
        return await PostgresEventStore.open(self.conninfo)

    async def corrupt(self, store: EventStore, position: int) -> None:
        await execute(
            self.conninfo, "UPDATE events SET payload = '{not json' WHERE position = %s", position
        )


@pytest.mark.postgres
async def test_events_survive_closing_and_reopening_the_store(conninfo: str) -> None:
    store = await PostgresEventStore.open(conninfo)
    stored = await store.append("counter", "a", 0, [new(1), new(2)])
    await store.close()
    reopened = await PostgresEventStore.open(conninfo)
    assert await reopened.read_stream("counter", "a") == stored
    assert (await reopened.append("counter", "b", 0, [new()]))[0].position == 3
    await reopened.close()


@pytest.mark.postgres
async def test_positions_are_never_reused_after_the_last_event_is_deleted(conninfo: str) -> None:
    store = await PostgresEventStore.open(conninfo)
    await store.append("counter", "a", 0, [new(), new()])
    await execute(conninfo, "DELETE FROM events WHERE position = 2")
    stored = await store.append("counter", "b", 0, [new()])
    assert stored[0].position == 3
    await store.close()


@pytest.mark.postgres
async def test_a_catch_up_reader_sees_every_event_while_two_stores_write(conninfo: str) -> None:
    """Two writer connections race; a reader that follows `position > last` must still see
    every position once, in order: positions are committed in the order they are given."""
    one, two = [await PostgresEventStore.open(conninfo) for _ in range(2)]
    writers_done = asyncio.Event()
    seen: list[int] = []

    async def write(store: PostgresEventStore, name: str) -> None:
        for i in range(40):
            await asyncio.gather(*(store.append(name, f"{i}-{j}", 0, [new()]) for j in range(3)))

    async def follow() -> None:
        while True:
            finished = writers_done.is_set()
            batch = await one.read_all_rows(seen[-1] if seen else 0)
            seen.extend(row[0] for row in batch)
            if finished and not batch:
                return

    reader = asyncio.create_task(follow())
    await asyncio.gather(write(one, "one"), write(two, "two"))
    writers_done.set()
    await reader
    assert seen == list(range(1, 241))
    assert {e.aggregate_type for e in await two.read_all(limit=240)} == {"one", "two"}
    await one.close()
    await two.close()


@pytest.mark.postgres
async def test_stores_on_one_database_see_each_others_versions_and_retries(conninfo: str) -> None:
    one, two = [await PostgresEventStore.open(conninfo) for _ in range(2)]
    events = [new(1)]
    first = await one.append("counter", "a", 0, events)
    with pytest.raises(ConcurrencyError) as caught:
        await two.append("counter", "a", 0, [new(2)])
    assert (caught.value.expected, caught.value.actual) == (0, 1)
    assert await two.append("counter", "a", 0, events) == first  # a retry elsewhere
    assert await one.last_position() == 1
    await one.close()
    await two.close()


@pytest.mark.postgres
async def test_appends_of_one_batch_that_share_event_ids_are_decided_one_after_the_other(
    conninfo: str,
) -> None:
    """The second of two identical appends is a repeat of the first; an append reusing
    one id of another is refused; neither fails the first."""
    store = await PostgresEventStore.open(conninfo)
    events, other = [new(1), new(2)], new(3)
    results = await asyncio.gather(
        store.append("counter", "a", 0, events),
        store.append("counter", "a", 0, events),
        store.append("counter", "b", 0, [other]),
        store.append("counter", "c", 0, [events[0]]),
        return_exceptions=True,
    )
    assert results[0] == results[1]
    assert isinstance(results[2], list)
    assert isinstance(results[3], DuplicateEventError)
    assert [e.aggregate_id for e in await store.read_all()] == ["a", "a", "b"]
    await store.close()


@pytest.mark.postgres
async def test_a_payload_postgres_cannot_store_fails_only_its_own_append(conninfo: str) -> None:
    """Payloads are stored as TEXT: bytes that are not UTF-8 cannot be, nor can a NUL."""
    store = await PostgresEventStore.open(conninfo)
    bad = [replace(new(), payload=b"\xff"), replace(new(), payload=b'"\x00"')]
    results = await asyncio.gather(
        store.append("counter", "a", 0, [new()]),
        store.append("counter", "b", 0, bad[:1]),
        store.append("counter", "c", 0, bad[1:]),
        store.append("counter", "d", 0, [new()]),
        return_exceptions=True,
    )
    assert isinstance(results[1], UnicodeDecodeError)
    assert isinstance(results[2], psycopg.DataError)
    assert [e.position for r in results if isinstance(r, list) for e in r] == [1, 2]
    assert [e.aggregate_id for e in await store.read_all()] == ["a", "d"]
    await store.close()


@pytest.mark.postgres
async def test_the_writer_reconnects_after_its_connection_is_dropped(conninfo: str) -> None:
    store = await PostgresEventStore.open(conninfo)
    await store.append("counter", "a", 0, [new()])
    pid = store._writer.info.backend_pid
    await execute(conninfo, "SELECT pg_terminate_backend(%s)", pid)
    stored = await store.append("counter", "a", 1, [new()])
    assert [e.position for e in stored] == [2]
    assert store._writer.info.backend_pid != pid
    await store.close()


def test_without_a_url_the_tests_skip_unless_postgres_is_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(URL, raising=False)
    monkeypatch.delenv(REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception):
        postgres_url()
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception):
        postgres_url()
    monkeypatch.setenv(URL, "postgresql://u@h/db")
    assert postgres_url() == "postgresql://u@h/db"


def test_the_app_imports_without_loading_psycopg() -> None:
    """psycopg is an optional extra: only `PostgresEventStore` imports it, on first use."""
    code = "import sys, ironstar.app, ironstar.infra; sys.exit('psycopg' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
