"""Server-side sessions in the same SQLite file as the events.

The cookie holds a random 128-bit secret; the session also has a public `owner` id that
aggregates and logs may show, so the secret never appears in events or pages.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ironstar.infra.event_store.connection import open_connection, pragma, scalar

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  id         TEXT PRIMARY KEY,
  owner      TEXT NOT NULL,
  created_at REAL NOT NULL,
  expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
"""


@dataclass(frozen=True)
class Session:
    id: str
    owner: str
    expires_at: float


def new_secret() -> str:
    return secrets.token_urlsafe(16)  # 128 bits


class SessionStore:
    def __init__(self, path: Path, *, ttl_seconds: int) -> None:
        self.ttl = ttl_seconds
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = open_connection(path, busy_timeout_ms=5000)  # apsw, like the store
        pragma(self._db, "journal_mode = WAL")
        self._db.execute(SCHEMA)
        self._lock = threading.Lock()

    def get(self, session_id: str, *, now: float) -> Session | None:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, owner, expires_at FROM sessions WHERE id = ? AND expires_at > ?",
                (session_id, now),
            ).fetchall()
        if not rows:
            return None
        return Session(*cast("tuple[str, str, float]", rows[0]))

    def create(self, *, now: float, owner: str | None = None) -> Session:
        session = Session(new_secret(), owner or secrets.token_hex(8), now + self.ttl)
        with self._lock:
            self._db.execute(
                "INSERT INTO sessions (id, owner, created_at, expires_at) VALUES (?, ?, ?, ?)",
                (session.id, session.owner, now, session.expires_at),
            )
        return session

    def touch(self, session: Session, *, now: float) -> Session:
        """Slide the expiry, writing at most once per tenth of the lifetime."""
        if session.expires_at - now > self.ttl * 0.9:
            return session
        expires = now + self.ttl
        with self._lock:
            self._db.execute(
                "UPDATE sessions SET expires_at = ? WHERE id = ?", (expires, session.id)
            )
        return Session(session.id, session.owner, expires)

    def rotate(self, session: Session, *, now: float) -> Session:
        """A new secret for the same owner (call on privilege change); the old one dies."""
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE id = ?", (session.id,))
        return self.create(now=now, owner=session.owner)

    def sweep(self, *, now: float) -> int:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            return self._db.changes()

    def count(self) -> int:
        with self._lock:
            return scalar(self._db, "SELECT count(*) FROM sessions")

    def close(self) -> None:
        with self._lock:
            self._db.close()
