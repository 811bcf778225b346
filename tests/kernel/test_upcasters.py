from __future__ import annotations

from typing import Any, ClassVar

import msgspec
import pytest

from ironstar.kernel import (
    CorruptEventError,
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
    codec: EventCodec[Events] = EventCodec(Events, Upcasters([Events], STEPS))
    with pytest.raises(CorruptEventError) as caught:
        codec.decode(stored("Titled", 1, b'{"title_typo":"x"}', position=9))
    assert caught.value.position == 9


# Declarative steps (`Upcaster.fields`) compile into typed decoders; each must decode
# exactly as the same steps run as plain functions on JSON objects.


class Noted(msgspec.Struct, frozen=True, tag=True):
    """v3: v1 was `Memo {text, tmp}`; v2 renamed it (text -> body, dropped tmp); v3 adds
    `pinned` (default False in the Struct) and a required `source` (filled by the step)."""

    event_version: ClassVar[int] = 3
    body: str
    source: str
    pinned: bool = False
    tags: list[str] = msgspec.field(default_factory=list)


class Flagged(msgspec.Struct, frozen=True, tag=True, kw_only=True):
    event_version: ClassVar[int] = 2
    level: int
    reason: str = "none"


Declared = Noted | Flagged | Kept

DECLARED = [
    Upcaster.fields(
        "Memo", 1, renames={"text": "body"}, removes=["tmp"], to_type="Noted", to_version=2
    ),
    Upcaster.fields("Noted", 2, defaults={"source": "legacy", "body": ""}),
    Upcaster.fields("Flagged", 1, defaults={"reason": "migrated"}),
]


def as_functions(steps: list[Upcaster]) -> list[Upcaster]:
    """The same steps without their declaration: the codec can only run them on objects."""
    return [Upcaster(s.event_type, s.from_version, s.fn, s.to_type, s.to_version) for s in steps]


def outcome(codec: EventCodec[Any], event_type: str, version: int, payload: bytes) -> object:
    try:
        return codec.decode(stored(event_type, version, payload))
    except CorruptEventError as exc:
        return (CorruptEventError, exc.position)


@pytest.mark.parametrize(
    ("event_type", "version", "payload"),
    [
        ("Memo", 1, b'{"type":"Memo","text":"hi","tmp":1}'),
        ("Memo", 1, b'{"type":"Memo","text":"hi","body":"stale","pinned":true}'),
        ("Memo", 1, b'{"type":"Memo","body":"no text key"}'),
        ("Noted", 2, b'{"type":"Noted","source":"s"}'),
        ("Noted", 2, b'{"type":"Noted","source":2}'),  # corrupt: wrong type
        ("Memo", 1, b'{"text":"hi","tags":["a"],"source":"kept"}'),
        ("Noted", 2, b'{"type":"Noted","body":"b"}'),
        ("Noted", 2, b'{"type":"Noted","body":1}'),  # corrupt: wrong type
        ("Flagged", 1, b'{"type":"Flagged","level":2}'),
        ("Flagged", 1, b'{"type":"Flagged","level":2,"reason":"given"}'),
        ("Flagged", 1, b'{"level":"x"}'),
        ("Flagged", 1, b"not json"),
    ],
)
def test_declared_steps_decode_exactly_like_the_same_steps_on_json_objects(
    event_type: str, version: int, payload: bytes
) -> None:
    typed: EventCodec[Any] = EventCodec(Declared, Upcasters([Declared], DECLARED))
    objects: EventCodec[Any] = EventCodec(Declared, Upcasters([Declared], as_functions(DECLARED)))
    assert outcome(typed, event_type, version, payload) == outcome(
        objects, event_type, version, payload
    )


def test_a_declared_chain_fills_defaults_renames_and_changes_the_type() -> None:
    codec: EventCodec[Any] = EventCodec(Declared, Upcasters([Declared], DECLARED))
    memo = codec.decode(stored("Memo", 1, b'{"type":"Memo","text":"hi","tmp":1}'))
    assert memo == Noted(body="hi", source="legacy")
    assert type(memo) is Noted
    flagged = codec.decode(stored("Flagged", 1, b'{"type":"Flagged","level":2}'))
    assert flagged == Flagged(level=2, reason="migrated")


def test_a_step_that_declares_nothing_decodes_old_payloads_as_current_ones() -> None:
    codec: EventCodec[Any] = EventCodec(
        Declared,
        Upcasters([Declared], [*DECLARED[:2], Upcaster.fields("Flagged", 1)]),
    )
    row = (4, "t", "a", 1, "Flagged", 1, b'{"type":"Flagged","level":5}')
    assert codec.decode_event_rows([row]) == [(4, "t", "a", 1, Flagged(level=5))]


def test_a_default_of_the_wrong_type_is_reported_as_a_corrupt_event() -> None:
    steps = [*DECLARED[:2], Upcaster.fields("Flagged", 1, defaults={"reason": 3})]
    codec: EventCodec[Any] = EventCodec(Declared, Upcasters([Declared], steps))
    with pytest.raises(CorruptEventError) as caught:
        codec.decode(stored("Flagged", 1, b'{"level":1}', position=11))
    assert caught.value.position == 11


def test_a_field_removed_then_added_again_takes_the_new_default() -> None:
    steps = [
        *DECLARED[:2],
        Upcaster.fields("Flagged", 1, removes=["reason"], defaults={"reason": "reset"}),
    ]
    codec: EventCodec[Any] = EventCodec(Declared, Upcasters([Declared], steps))
    old = stored("Flagged", 1, b'{"level":1,"reason":"old meaning"}')
    assert codec.decode(old) == Flagged(level=1, reason="reset")


def test_decoded_rows_keep_their_stream_fields_and_leave_out_retired_events() -> None:
    codec: EventCodec[Events] = EventCodec(Events, Upcasters([Events], STEPS))
    rows = [
        (1, "t", "a", 1, "Obsolete", 1, b"{}"),
        (2, "t", "b", 4, "Titled", 1, b'{"type":"Titled","name":"x"}'),
        (3, "u", "a", 2, "Kept", 1, b'{"x":2}'),
    ]
    assert codec.decode_event_rows(rows) == [
        (2, "t", "b", 4, Renamed(title="x", priority=0)),
        (3, "u", "a", 2, Kept(2)),
    ]
    with pytest.raises(CorruptEventError) as caught:
        codec.decode_event_rows([(8, "u", "a", 3, "Kept", 1, b'{"x":"two"}')])
    assert caught.value.position == 8


# Steps with logic, written on Structs (`Upcaster.typed_step`), decode typed too.


class ScoredV1(msgspec.Struct, frozen=True, tag="Scored"):
    points: int


class ScoredV2(msgspec.Struct, frozen=True):  # untagged: the stored tag is ignored
    points: int
    bonus: int


class Graded(msgspec.Struct, frozen=True, tag=True):
    event_version: ClassVar[int] = 3
    total: int
    grade: str


def scored_v1_to_v2(old: ScoredV1) -> ScoredV2 | None:
    if old.points < 0:
        return None  # never counted: dropped
    return ScoredV2(old.points, bonus=old.points // 10)


def scored_v2_to_graded(old: ScoredV2) -> Graded:
    total = old.points + old.bonus
    if total > 1000:
        raise ValueError("out of range")
    return Graded(total, "A" if total >= 50 else "B")


TYPED = [
    Upcaster.typed_step("Scored", 1, ScoredV1, scored_v1_to_v2),
    Upcaster.typed_step("Scored", 2, ScoredV2, scored_v2_to_graded, to_type="Graded"),
    Upcaster.typed_step("Graded", 1, ScoredV2, lambda old: Kept(old.points), to_version=3),
    Upcaster.typed_step("Graded", 2, ScoredV2, scored_v2_to_graded),
]
Typed = Graded | Kept


@pytest.mark.parametrize(
    ("event_type", "version", "payload"),
    [
        ("Scored", 1, b'{"type":"Scored","points":60}'),
        ("Scored", 1, b'{"type":"Scored","points":-1}'),  # dropped
        ("Scored", 1, b'{"type":"Scored","points":999}'),  # the step raises: corrupt
        ("Scored", 1, b'{"type":"Scored","points":"6"}'),  # corrupt
        ("Scored", 2, b'{"type":"Scored","points":4,"bonus":1}'),
        ("Scored", 2, b'{"points":4}'),  # corrupt: bonus is required
        ("Graded", 1, b'{"points":4,"bonus":0}'),  # the step returns the wrong class
    ],
)
def test_steps_on_structs_decode_exactly_like_the_same_steps_on_json_objects(
    event_type: str, version: int, payload: bytes
) -> None:
    typed: EventCodec[Any] = EventCodec(Typed, Upcasters([Typed], TYPED))
    objects: EventCodec[Any] = EventCodec(Typed, Upcasters([Typed], as_functions(TYPED)))
    assert outcome(typed, event_type, version, payload) == outcome(
        objects, event_type, version, payload
    )


def test_a_typed_chain_runs_each_step_and_can_change_the_type() -> None:
    codec: EventCodec[Any] = EventCodec(Typed, Upcasters([Typed], TYPED))
    rows = [
        (1, "g", "a", 1, "Scored", 1, b'{"type":"Scored","points":60}'),
        (2, "g", "a", 2, "Scored", 1, b'{"type":"Scored","points":-5}'),
        (3, "g", "a", 3, "Graded", 3, b'{"type":"Graded","total":7,"grade":"B"}'),
    ]
    assert codec.decode_event_rows(rows) == [
        (1, "g", "a", 1, Graded(66, "A")),
        (3, "g", "a", 3, Graded(7, "B")),
    ]


def test_a_typed_step_whose_struct_has_another_tag_is_refused_at_construction() -> None:
    with pytest.raises(UpcasterChainError, match="tag"):
        Upcaster.typed_step("Points", 1, ScoredV1, scored_v1_to_v2)
