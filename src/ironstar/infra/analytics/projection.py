"""AnalyticsProjection: the event log, copied batch by batch into DuckDB.

Each batch and the new checkpoint commit in one DuckDB transaction, and the insert
skips positions at or below the stored checkpoint: a crash mid-batch rolls both back,
and the next run resumes from the last committed position, so nothing counts twice.

Every method blocks; the owner calls them from one worker thread (see `AnalyticsFollower`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

from ironstar.infra.analytics._encode import encode_batch
from ironstar.infra.analytics._schema import CHECKPOINT, LOAD, checkpoint, connect
from ironstar.kernel import StoredEvent


class AnalyticsProjection:
    name = "analytics"

    def __init__(self, path: Path | str, *, spool_dir: Path | None = None) -> None:
        self.conn = connect(path)
        self.position = checkpoint(self.conn, self.name)
        self._spool_dir = spool_dir

    def apply_batch(self, events: Sequence[StoredEvent]) -> int:
        """Load the events after `position` (in order); return how many were new."""
        fresh = [e for e in events if e.position > self.position]
        if not fresh:
            return 0
        spool = self._spool(encode_batch(fresh))
        try:
            self._load(spool, fresh[-1].position)
        finally:
            os.unlink(spool)
        self.position = fresh[-1].position
        return len(fresh)

    def _load(self, spool: str, last: int) -> None:
        conn = self.conn
        conn.begin()
        try:
            conn.execute(LOAD, [spool, self.position])
            self._commit_checkpoint(last)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise

    def _commit_checkpoint(self, position: int) -> None:
        self.conn.execute(CHECKPOINT, [self.name, position])

    def _spool(self, data: bytes) -> str:
        fd, path = tempfile.mkstemp(prefix="ironstar-", suffix=".ndjson", dir=self._spool_dir)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        return path

    def reset(self) -> None:
        """Forget everything (for a rebuild)."""
        conn = self.conn
        conn.begin()
        conn.execute("DELETE FROM events")
        conn.execute("DELETE FROM checkpoints WHERE name = ?", [self.name])
        conn.commit()
        self.position = 0

    def count(self) -> int:
        row = self.conn.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the same database, for a reader thread."""
        return self.conn.cursor()

    def close(self) -> None:
        self.conn.close()
