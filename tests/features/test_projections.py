"""The feature read models, fed rows as the runner feeds them on a catch-up."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from ironstar.features.counter.domain import CounterEvent, Decremented, Incremented
from ironstar.features.counter.projections import Counters
from ironstar.features.events.projections import EventIndex
from ironstar.features.todo.domain import (
    Todo,
    TodoAdded,
    TodoCompleted,
    TodoEvent,
    TodoRenamed,
)
from ironstar.features.todo.projections import TodoLists
from ironstar.infra import EventBus, SqliteEventStore
from ironstar.infra.projections import ProjectionRunner
from ironstar.kernel import EventCodec, EventRow, NewEvent, StoredEvent, Upcaster, Upcasters


def row(position: int, aggregate_type: str, owner: str, sequence: int, event: object) -> EventRow:
    name = type(event).__name__
    return (position, aggregate_type, owner, sequence, name, 1, msgspec.json.encode(event))


def test_todo_lists_fold_each_owners_rows_and_note_versions_and_positions() -> None:
    lists = TodoLists(EventCodec(TodoEvent))
    lists.apply_rows([
        row(1, "todo_list", "ann", 1, TodoAdded("a1", "milk")),
        row(2, "todo_list", "bob", 1, TodoAdded("b1", "bread")),
        row(3, "todo_list", "ann", 2, TodoAdded("a2", "eggs")),
        row(4, "todo_list", "ann", 3, TodoCompleted("a1")),
    ])  # fmt: skip
    lists.apply_rows([row(5, "todo_list", "ann", 4, TodoRenamed("a2", "brown eggs"))])
    assert lists.get("ann").items == (Todo("a1", "milk", True), Todo("a2", "brown eggs"))
    assert lists.get("bob").items == (Todo("b1", "bread"),)
    assert (lists.version("ann"), lists.changed_at("ann")) == (4, 5)
    assert (lists.version("bob"), lists.changed_at("bob")) == (1, 2)
    assert lists.get("nobody").items == ()


def test_a_retired_event_still_moves_the_owners_version_and_position() -> None:
    upcasters = Upcasters([TodoEvent], [Upcaster.retire("TodoShouted", 1)])
    lists = TodoLists(EventCodec(TodoEvent, upcasters))
    lists.apply_rows([
        row(1, "todo_list", "ann", 1, TodoAdded("a1", "milk")),
        (2, "todo_list", "ann", 2, "TodoShouted", 1, b'{"loud":true}'),
    ])  # fmt: skip
    assert lists.get("ann").items == (Todo("a1", "milk"),)
    assert (lists.version("ann"), lists.changed_at("ann")) == (2, 2)


def test_one_envelope_is_applied_like_a_row() -> None:
    by_rows, by_envelope = TodoLists(EventCodec(TodoEvent)), TodoLists(EventCodec(TodoEvent))
    the_row = row(7, "todo_list", "ann", 1, TodoAdded("a1", "milk"))
    by_rows.apply_rows([the_row])
    position, aggregate_type, owner, sequence, event_type, version, payload = the_row
    by_envelope.apply(
        StoredEvent(position, "e7", aggregate_type, owner, sequence, event_type, version,
                    payload, {}, "2026-11-27T00:00:00.000000+00:00")
    )  # fmt: skip
    assert by_envelope.get("ann") == by_rows.get("ann")
    assert by_envelope.changed_at("ann") == by_rows.changed_at("ann") == 7


def test_counters_fold_the_global_counter_and_each_sessions() -> None:
    counters = Counters(EventCodec(CounterEvent))
    counters.apply_rows([
        row(1, "counter", "global", 1, Incremented()),
        row(2, "session_counter", "ann", 1, Incremented()),
        row(3, "counter", "global", 2, Incremented()),
        row(4, "session_counter", "ann", 2, Decremented()),
        row(5, "session_counter", "bob", 1, Incremented()),
    ])  # fmt: skip
    assert (counters.global_value, counters.global_version) == (2, 3)
    assert (counters.session("ann").value, counters.session_version("ann")) == (0, 2)
    assert (counters.session("bob").value, counters.session_version("bob")) == (1, 1)


def test_the_event_index_knows_where_each_types_backlog_starts() -> None:
    index = EventIndex(backlog=2)
    index.apply_rows([row(p, "counter" if p % 2 else "todo_list", "x", p, Incremented())
                      for p in range(1, 8)])  # fmt: skip
    assert index.known_types() == ["counter", "todo_list"]
    assert index.backlog_start() == 5  # the last two: 6 and 7
    assert index.backlog_start("counter") == 4  # 5 and 7
    assert index.backlog_start("todo_list") == 3  # 4 and 6


async def test_the_runner_catches_the_feature_read_models_up_from_rows_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """All three take rows, so a catch-up never builds an envelope per event."""
    store = await SqliteEventStore.open(tmp_path / "e.db")
    payload = msgspec.json.encode(TodoAdded("a1", "milk"))
    added = NewEvent(event_id="e1", event_type="TodoAdded", event_version=1, payload=payload)
    await store.append("todo_list", "ann", 0, [added])

    async def no_envelopes(*args: object, **kwargs: object) -> list[StoredEvent]:
        raise AssertionError("read_all was used")

    monkeypatch.setattr(store, "read_all", no_envelopes)
    lists = TodoLists(EventCodec(TodoEvent))
    runner = ProjectionRunner(
        store, EventBus(), [lists, Counters(EventCodec(CounterEvent)), EventIndex()]
    )
    assert await runner.catch_up() == 1
    assert lists.get("ann").items == (Todo("a1", "milk"),)
    await store.close()
