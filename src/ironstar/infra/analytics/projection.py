"""AnalyticsProjection: the event log, copied batch by batch into DuckDB.

Each batch and the new checkpoint commit in one DuckDB transaction, and the insert
skips positions at or below the stored checkpoint: a crash mid-batch rolls both back,
and the next run resumes from the last committed position, so nothing counts twice.
A batch may arrive in several chunks (`begin`, `load` each, `commit`): the follower reads
the next chunk from SQLite while DuckDB loads the current one.

Every method blocks; the owner calls them from one worker thread (see `AnalyticsFollower`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

from ironstar.infra.analytics._encode import encode_batch
from ironstar.infra.analytics._schema import (
    ADVANCE,
    CHECKPOINT,
    LOAD,
    SCAN,
    TODOS_MERGE,
    checkpoint,
    connect,
    load_sqlite_scanner,
)
from ironstar.infra.analytics.source import Lines
from ironstar.kernel import StoredEvent


class AnalyticsProjection:
    """`threads`: DuckDB's worker threads in steady state. One by default: a catch-up batch
    is too small to gain from parallel workers (they cost more than they save: 10k events,
    ~25 % less CPU single-threaded), the dashboard's queries already run side by side on
    reader threads, and the web server shares the cores. A full rebuild from the SQLite file
    uses every core (`apply_sqlite`). None: one per core throughout.
    """

    name = "analytics"

    def __init__(
        self, path: Path | str, *, spool_dir: Path | None = None, threads: int | None = 1
    ) -> None:
        self.conn = connect(path, threads=threads)
        self.threads = threads
        self.position = checkpoint(self.conn, self.name)
        if self.position == 0:  # the row each batch then UPDATEs (see `ADVANCE`)
            self.conn.execute(CHECKPOINT, [self.name, 0])
        self._spool_dir = spool_dir
        self._wal = None if str(path) == ":memory:" else Path(f"{path}.wal")
        self._scanner: bool | None = None  # sqlite_scanner loaded? (lazily, on first use)

    def can_scan_sqlite(self) -> bool:
        """Whether `apply_sqlite` is available (the sqlite-scanner wheel is installed)."""
        if self._scanner is None:
            self._scanner = load_sqlite_scanner(self.conn)
        return self._scanner

    def apply_sqlite(self, path: Path, last: int) -> int:
        """Load positions (`position`, `last`] straight from a SQLite store file.

        DuckDB's sqlite_scanner reads the file (the fast path for a full rebuild: no JSON
        built by SQLite, none parsed back); same rows, same transaction and checkpoint as
        `apply_lines`. It scans the whole table, so use it for big gaps only.
        """
        if last <= self.position:
            return 0
        if not self.can_scan_sqlite():
            raise RuntimeError("sqlite_scanner missing: install duckdb-extension-sqlite-scanner")
        # Each scanner thread appends its own row groups instead of waiting for its turn:
        # ~30 % faster on two cores. Rows land roughly, not exactly, in position order;
        # no query depends on the physical order (they sort what they return).
        self.conn.execute("SET preserve_insertion_order = false")
        self.conn.execute("RESET threads")  # one per core for the bulk scan
        try:
            return self._transaction(SCAN, [str(path), self.position, last], last)
        finally:
            self.conn.execute("RESET preserve_insertion_order")
            if self.threads is not None:
                self.conn.execute(f"SET threads = {int(self.threads)}")

    def apply_batch(self, events: Sequence[StoredEvent]) -> int:
        """Load the events after `position` (in order); return how many were new."""
        fresh = [e for e in events if e.position > self.position]
        if not fresh:
            return 0
        return self.apply_lines(Lines(encode_batch(fresh), fresh[-1].position, len(fresh)))

    def apply_lines(self, lines: Lines) -> int:
        """Load pre-encoded rows (see `source.py`); rows at or below `position` are skipped."""
        if lines.last <= self.position:
            return 0
        self.begin()
        try:
            loaded = self.load(lines)
            self.commit(lines.last)
        except BaseException:
            self.rollback()
            raise
        return loaded

    def begin(self) -> None:
        """Open a batch: then `load` its chunks in order and `commit` (or `rollback`)."""
        self.conn.begin()

    def load(self, lines: Lines) -> int:
        """Insert one chunk into the open batch; return how many rows were new."""
        spool = self._spool(lines.data)
        try:
            row = self.conn.execute(LOAD, [spool, self.position]).fetchone()
        finally:
            os.unlink(spool)
        return int(row[0]) if row else 0

    def commit(self, last: int) -> None:
        """Fold the batch's todos, move the checkpoint to `last`, commit all of it at once."""
        self.conn.execute(TODOS_MERGE, {"after": self.position})
        self._commit_checkpoint(last)
        self.conn.commit()
        self.position = last

    def rollback(self) -> None:
        self.conn.rollback()

    def wal_bytes(self) -> int:
        """Size of DuckDB's write-ahead log: committed batches not yet in the database file."""
        try:
            return 0 if self._wal is None else self._wal.stat().st_size
        except FileNotFoundError:
            return 0

    def flush(self) -> bool:
        """CHECKPOINT: move the WAL into the database file (False when there was nothing).

        DuckDB checkpoints by itself in the commit that takes the WAL past 16 MB (~20 10k
        batches), and that commit then takes ~10x longer. The follower calls this while it
        waits instead (see `AnalyticsFollower.follow`), so no batch pays for it.
        """
        if self.wal_bytes() == 0:
            return False
        self.conn.execute("CHECKPOINT")
        return True

    def _transaction(self, insert: str, params: list[object], last: int) -> int:
        """Rows, their todos and the checkpoint `last`, committed together."""
        self.begin()
        try:
            row = self.conn.execute(insert, params).fetchone()
            self.commit(last)
        except BaseException:
            self.rollback()
            raise
        return int(row[0]) if row else 0

    def _commit_checkpoint(self, position: int) -> None:
        self.conn.execute(ADVANCE, [position, self.name])

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
        conn.execute("DELETE FROM todos")
        conn.execute(ADVANCE, [0, self.name])
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
