"""The snapshot contract on PostgreSQL, each test in a schema of its own (needs the test
server, like `test_postgres_store.py`)."""

from __future__ import annotations

import pytest

from ironstar.infra.postgres_snapshots import PostgresSnapshotStore
from ironstar.kernel import SnapshotStore, StoreClosedError
from tests.infra.test_postgres_store import conninfo  # noqa: F401 - a fixture
from tests.kernel.snapshot_contract import SnapshotContract, snap


@pytest.mark.postgres
class TestPostgresSnapshotStore(SnapshotContract):
    @pytest.fixture(autouse=True)
    def _schema(self, conninfo: str) -> None:  # noqa: F811 - the fixture
        self.conninfo = conninfo

    async def make_store(self) -> SnapshotStore:
        return PostgresSnapshotStore(self.conninfo)


@pytest.mark.postgres
async def test_snapshots_survive_reopening_and_a_closed_store_refuses(
    conninfo: str,  # noqa: F811 - the fixture
) -> None:
    store = PostgresSnapshotStore(conninfo)
    await store.put(snap(4))
    await store.close()
    with pytest.raises(StoreClosedError):
        await store.get("counter", "c")
    reopened = PostgresSnapshotStore(conninfo)
    assert await reopened.get("counter", "c") == snap(4)
    await reopened.close()
