"""Child process for the kill -9 test: append concurrently forever, print each ack."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from ironstar.infra import SqliteEventStore
from ironstar.kernel import NewEvent, uuid7


async def writer(store: SqliteEventStore, name: str) -> None:
    version = 0
    while True:
        event = NewEvent(event_id=uuid7(), event_type="Added", event_version=1, payload=b"{}")
        stored = await store.append("counter", name, version, [event])
        version += 1
        print(stored[0].position, stored[0].event_id, flush=True)


async def main(path: Path) -> None:
    store = await SqliteEventStore.open(path, durable=True)
    await asyncio.gather(*(writer(store, f"w{n}") for n in range(16)))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
