from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ironstar.infra import SqliteEventStore

CHILD = Path(__file__).with_name("_append_forever.py")


@pytest.mark.slow
def test_every_acknowledged_append_survives_kill_9_during_group_commit(
    tmp_path: Path,
) -> None:
    db = tmp_path / "e.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(db)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    acknowledged = dict(line.split() for _, line in zip(range(2000), child.stdout, strict=False))
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert len(acknowledged) == 2000

    store = SqliteEventStore(db)
    events = store.read_all_sync(0, limit=1_000_000)
    asyncio.run(store.close())
    stored = {str(e.position): e.event_id for e in events}
    assert acknowledged.items() <= stored.items()
    assert [e.position for e in events] == list(range(1, len(events) + 1))
