from __future__ import annotations

from typing import Any, ClassVar

import msgspec
import pytest

from ironstar.kernel import (
    EventCodec,
    StoredEvent,
    UnknownEventError,
    Upcaster,
    UpcasterChainError,
    Upcasters,
)


class Renamed(msgspec.Struct, frozen=True, tag=True):
    """Version 3 of an event first stored as `Titled` v1 with a `name` field."""

    event_version: ClassVar[int] = 3
    title: str
    priority: int


class Kept(msgspec.Struct, frozen=True, tag=True):
    x: int


Events = Renamed | Kept


def stored(event_type: str, version: int, payload: bytes, position: int = 7) -> StoredEvent:
    return StoredEvent(position, "id", "t", "a", 1, event_type, version, payload, {}, "now")


def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {"title": data["name"]}


def v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "priority": 0}  # the documented default, not invented data


STEPS = [
    Upcaster("Titled", 1, v1_to_v2, to_type="Renamed", to_version=2),
    Upcaster("Renamed", 2, v2_to_v3),
    Upcaster.retire("Obsolete", 1),
]


def test_an_old_version_is_upcast_through_the_whole_chain_including_a_rename() -> None:
    codec: EventCodec[Events] = EventCodec(Events, Upcasters([Events], STEPS))
    old = stored("Titled", 1, b'{"type":"Titled","name":"x"}')
    assert codec.decode(old) == Renamed(title="x", priority=0)


def test_a_current_version_decodes_directly() -> None:
    codec: EventCodec[Events] = EventCodec(Events, Upcasters([Events], STEPS))
    assert codec.decode(stored("Kept", 1, b'{"type":"Kept","x":1}')) == Kept(1)


def test_an_upcaster_returning_none_drops_a_deprecated_event() -> None:
    codec: EventCodec[Events] = EventCodec(Events, Upcasters([Events], STEPS))
    events = [stored("Obsolete", 1, b"{}"), stored("Kept", 1, b'{"x":2}')]
    assert codec.decode_all(events) == [Kept(2)]


def test_old_versions_decode_the_same_once_their_chain_is_compiled() -> None:
    codec: EventCodec[Events] = EventCodec(Events, Upcasters([Events], STEPS))
    rows = [
        (1, 1, "Obsolete", 1, b"{}"),
        (2, 2, "Titled", 1, b'{"type":"Titled","name":"x"}'),
        (3, 3, "Kept", 1, b'{"x":2}'),
    ]
    first, second = codec.decode_rows(rows), codec.decode_rows(rows)  # 2nd: compiled path
    assert first == second == [Renamed(title="x", priority=0), Kept(2)]


def test_an_unknown_event_type_names_itself_and_its_position() -> None:
    codec: EventCodec[Events] = EventCodec(Events, Upcasters([Events], STEPS))
    with pytest.raises(UnknownEventError, match=r"'Mystery' version 4 at position 7"):
        codec.decode(stored("Mystery", 4, b"{}"))


def test_an_old_version_without_upcasters_is_an_unknown_event() -> None:
    codec: EventCodec[Kept] = EventCodec(Kept)
    with pytest.raises(UnknownEventError):
        codec.decode(stored("Kept", 0, b"{}"))


def test_a_gap_in_a_chain_is_refused_at_construction() -> None:
    with pytest.raises(UpcasterChainError, match="gap"):
        Upcasters([Events], [Upcaster("Titled", 1, v1_to_v2, to_type="Renamed", to_version=1),
                             *STEPS[1:]])  # fmt: skip


def test_a_current_version_without_an_upcaster_from_the_previous_one_is_refused() -> None:
    with pytest.raises(UpcasterChainError, match="no upcaster from 2"):
        Upcasters([Events], [])


def test_a_cycle_is_refused_at_construction() -> None:
    cycle = [
        Upcaster("A", 1, v1_to_v2, to_type="B", to_version=1),
        Upcaster("B", 1, v1_to_v2, to_type="A", to_version=1),
        STEPS[1],
    ]
    with pytest.raises(UpcasterChainError, match="cycle"):
        Upcasters([Events], cycle)


def test_an_upcaster_from_a_current_version_is_refused() -> None:
    with pytest.raises(UpcasterChainError, match="current"):
        Upcasters([Events], [*STEPS, Upcaster("Kept", 1, v1_to_v2)])


def test_two_upcasters_for_one_version_are_refused() -> None:
    with pytest.raises(UpcasterChainError, match="two"):
        Upcasters([Events], [*STEPS, STEPS[1]])


def test_an_upcaster_that_breaks_on_a_payload_reports_a_corrupt_event() -> None:
    from ironstar.kernel import CorruptEventError

    codec: EventCodec[Events] = EventCodec(Events, Upcasters([Events], STEPS))
    with pytest.raises(CorruptEventError) as caught:
        codec.decode(stored("Titled", 1, b'{"title_typo":"x"}', position=9))
    assert caught.value.position == 9
