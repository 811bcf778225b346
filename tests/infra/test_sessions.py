"""SessionStore on the store's SQLite file (through apsw, like every connection to it)."""

from __future__ import annotations

from pathlib import Path

from ironstar.infra import SqliteEventStore
from ironstar.infra.sessions import Session, SessionStore
from tests.infra.store_contract import new


def test_a_session_is_found_until_it_expires(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "e.db", ttl_seconds=100)
    session = store.create(now=1000.0)
    assert store.get(session.id, now=1099.0) == session
    assert isinstance(store.get(session.id, now=1099.0), Session)
    assert store.get(session.id, now=1100.0) is None
    assert store.get("unknown", now=1000.0) is None
    store.close()


def test_touch_slides_the_expiry_at_most_once_per_tenth_of_the_lifetime(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "e.db", ttl_seconds=100)
    session = store.create(now=1000.0)
    assert store.touch(session, now=1005.0) is session  # 95 s left: no write
    touched = store.touch(session, now=1050.0)
    assert touched.expires_at == 1150.0
    assert store.get(session.id, now=1120.0) == touched
    store.close()


def test_rotate_keeps_the_owner_and_kills_the_old_secret(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "e.db", ttl_seconds=100)
    old = store.create(now=1000.0)
    rotated = store.rotate(old, now=1010.0)
    assert rotated.owner == old.owner
    assert rotated.id != old.id
    assert store.get(old.id, now=1010.0) is None
    assert store.get(rotated.id, now=1010.0) == rotated
    store.close()


def test_sweep_deletes_expired_sessions_and_says_how_many(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "e.db", ttl_seconds=100)
    for now in (1000.0, 1010.0, 1200.0):
        store.create(now=now)
    assert store.count() == 3
    assert store.sweep(now=1110.0) == 2
    assert store.count() == 1
    assert store.sweep(now=1110.0) == 0
    store.close()


async def test_sessions_share_the_file_with_a_working_event_store(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    events = await SqliteEventStore.open(path)
    sessions = SessionStore(path, ttl_seconds=100)
    session = sessions.create(now=1000.0)
    await events.append("counter", "a", 0, [new()])
    sessions.close()
    assert [e.sequence for e in await events.append("counter", "a", 1, [new()])] == [2]
    assert [e.sequence for e in await events.read_stream("counter", "a")] == [1, 2]
    await events.close()
    reopened = SessionStore(path, ttl_seconds=100)
    assert reopened.get(session.id, now=1000.0) == session
    reopened.close()
