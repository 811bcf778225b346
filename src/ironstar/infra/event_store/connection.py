"""Opening the store file: every Ironstar connection to it is an `apsw` connection.

apsw bundles its own SQLite (3.54), binds parameters and builds rows faster than the
stdlib `sqlite3` and releases the GIL while SQLite works. One rule follows: no other
SQLite library may open the store file in the same process (the stdlib `sqlite3`
included). Two copies of SQLite keep separate POSIX lock bookkeeping, so closing one
copy's descriptor drops the other's locks (sqlite.org, "How To Corrupt An SQLite
Database File", 2.2.1). The event store, sessions, projection checkpoints and the
analytics source all open the file here; DuckDB's sqlite_scanner stays opt-in for the
rebuild command.
"""

from __future__ import annotations

from pathlib import Path

import apsw

BUSY_TIMEOUT_MS = 10_000


def open_connection(
    path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, readonly: bool = False
) -> apsw.Connection:
    """A connection to `path` (created if missing unless `readonly`): autocommit until a
    `BEGIN`, usable from any thread but by one at a time (apsw raises
    `ThreadingViolationError` on concurrent use), waiting up to `busy_timeout_ms` for locks."""
    flags = (
        apsw.SQLITE_OPEN_READONLY
        if readonly
        else apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
    )
    conn = apsw.Connection(str(path), flags=flags)
    conn.set_busy_timeout(busy_timeout_ms)
    return conn


def pragma(conn: apsw.Connection, setting: str) -> None:
    """Run `PRAGMA setting`, reading the row it may answer (apsw steps lazily)."""
    conn.execute(f"PRAGMA {setting}").fetchall()


def scalar(
    conn: apsw.Connection | apsw.Cursor, sql: str, args: tuple[apsw.SQLiteValue, ...] = ()
) -> int:
    """The integer in the first column of the first row (0 when no row or NULL)."""
    rows = conn.execute(sql, args).fetchall()
    value = rows[0][0] if rows else None
    return value if isinstance(value, int) else 0
