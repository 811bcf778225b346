from __future__ import annotations

from ironstar.kernel import MemorySnapshotStore, SnapshotStore
from tests.kernel.snapshot_contract import SnapshotContract


class TestMemorySnapshotStore(SnapshotContract):
    async def make_store(self) -> SnapshotStore:
        return MemorySnapshotStore()
