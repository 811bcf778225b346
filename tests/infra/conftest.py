"""Fixtures shared by the infra tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ironstar.infra import SqliteEventStore


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[SqliteEventStore, SqliteEventStore]]:
    """Two stores on one file, each with its own connections: two processes, to SQLite."""
    one = await SqliteEventStore.open(tmp_path / "e.db")
    two = await SqliteEventStore.open(tmp_path / "e.db")
    yield one, two
    await one.close()
    await two.close()
