"""EventCodec: domain events <-> envelopes, with upcasting on the way in."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, cast

import msgspec

from ironstar.kernel.envelope import DecodedRow, EventRow, NewEvent, StoredEvent, StreamRow
from ironstar.kernel.errors import CorruptEventError, UnknownEventError
from ironstar.kernel.upcasters import (
    FieldChanges,
    TypedStep,
    Upcasters,
    event_classes,
    event_type_of,
    event_version_of,
)

_BAD_PAYLOAD = (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError)

type Decode = Callable[[bytes], Any]


class EventCodec[E]:
    """Encodes events of one tagged union and decodes their stored payloads.

    Current versions decode straight from JSON bytes into the Struct (msgspec's
    fastest path). An old version's upcaster chain is compiled into one decoder the
    first time it is seen: typed if every step is declared (`Upcaster.fields`) or
    written on Structs (`Upcaster.typed_step`), else through JSON objects.
    """

    def __init__(self, event_types: Any, upcasters: Upcasters | None = None) -> None:
        classes = event_classes(event_types)
        self._classes = {event_type_of(c): c for c in classes}
        self._direct: dict[tuple[str, int], Decode] = {
            (event_type_of(c), event_version_of(c)): msgspec.json.Decoder(c).decode for c in classes
        }
        self._names = {c: (event_type_of(c), event_version_of(c)) for c in classes}
        self._upcasters = upcasters
        self._encode = msgspec.json.Encoder().encode

    def encode(self, event: E, event_id: str, metadata: dict[str, str] | None = None) -> NewEvent:
        event_type, event_version = self._names[type(event)]  # type: ignore[index]
        return NewEvent(
            event_id=event_id,
            event_type=event_type,
            event_version=event_version,
            payload=self._encode(event),
            metadata=metadata or {},
        )

    def encode_all(
        self,
        events: Iterable[E],
        new_id: Callable[[], str],
        metadata: dict[str, str] | None = None,
    ) -> list[NewEvent]:
        """`encode` for each of a command's events, each with an id from `new_id`."""
        names, encode, out = self._names, self._encode, []
        for e in events:
            event_type, event_version = names[type(e)]  # type: ignore[index]
            out.append(
                NewEvent(
                    event_id=new_id(),
                    event_type=event_type,
                    event_version=event_version,
                    payload=encode(e),
                    metadata=metadata or {},
                )
            )
        return out

    def decode(self, stored: StoredEvent) -> E | None:
        """The domain event, or `None` if an upcaster dropped it."""
        fn = self._direct.get((stored.event_type, stored.event_version))
        if fn is None:
            fn = self._compile(stored.event_type, stored.event_version, stored.position)
        try:
            return cast("E | None", fn(stored.payload))
        except _BAD_PAYLOAD as exc:
            raise CorruptEventError(stored.position, str(exc)) from exc

    def decode_payload(
        self, event_type: str, event_version: int, payload: bytes, position: int = 0
    ) -> E | None:
        fn = self._direct.get((event_type, event_version))
        if fn is None:
            fn = self._compile(event_type, event_version, position)
        try:
            return cast("E | None", fn(payload))
        except _BAD_PAYLOAD as exc:
            raise CorruptEventError(position, str(exc)) from exc

    def decode_all(self, events: Iterable[StoredEvent]) -> list[E]:
        decode = self.decode
        return [d for e in events if (d := decode(e)) is not None]

    def decode_rows(self, rows: Iterable[StreamRow]) -> list[E]:
        """Decode `read_stream_rows` tuples (no envelopes: the aggregate-load path)."""
        direct, out = self._direct, []
        for position, _, event_type, event_version, payload in rows:
            fn = direct.get((event_type, event_version))
            if fn is None:
                fn = self._compile(event_type, event_version, position)
            try:
                event = fn(payload)
            except _BAD_PAYLOAD as exc:
                raise CorruptEventError(position, str(exc)) from exc
            if event is not None:  # None: an upcaster retired it
                out.append(event)
        return out

    def decode_event_rows(self, rows: Iterable[EventRow]) -> list[DecodedRow[E]]:
        """Decode `read_all_rows` tuples, keeping what a projection needs beside each event.

        Retired events are left out; every row must be of this codec's union (filter
        by aggregate type first).
        """
        direct: dict[tuple[str, int], Decode] = self._direct
        out: list[DecodedRow[E]] = []
        append = out.append
        for position, aggregate_type, aggregate_id, sequence, event_type, version, payload in rows:
            fn = direct.get((event_type, version))
            if fn is None:
                fn = self._compile(event_type, version, position)
            try:
                event = fn(payload)
            except _BAD_PAYLOAD as exc:
                raise CorruptEventError(position, str(exc)) from exc
            if event is not None:
                append((position, aggregate_type, aggregate_id, sequence, event))
        return out

    def _compile(self, event_type: str, version: int, position: int) -> Decode:
        """First sight of an old version: compile its chain into a direct decoder."""
        chain = self._upcasters.chain(event_type, version) if self._upcasters else None
        if chain is None or (chain.target and chain.target[0] not in self._classes):
            raise UnknownEventError(event_type, version, position)
        if chain.target is None:
            decoder: Decode = _retired
        else:
            target = self._classes[chain.target[0]]
            current = self._direct.get(chain.target) or msgspec.json.Decoder(target).decode
            typed = _typed(chain.changes, target, current) if chain.changes else None
            if chain.typed:
                typed = _on_structs(chain.typed, target)
            decoder = typed or _through_objects(chain.fns, target)
        self._direct[(event_type, version)] = decoder
        return decoder


def _retired(_payload: bytes) -> None:
    return None  # the event is dropped


_decode_any = msgspec.json.Decoder().decode


def _through_objects(
    fns: tuple[Callable[[dict[str, Any]], dict[str, Any] | None], ...],
    target: type[msgspec.Struct],
) -> Decode:
    """JSON → dict → upcasters → the current Struct (any upcaster function).

    Failures surface as `msgspec.ValidationError`, which callers turn into a
    `CorruptEventError` carrying the position, exactly like a bad current payload.
    """
    tag_field = target.__struct_config__.tag_field or "type"
    convert = msgspec.convert

    def upcast(payload: bytes) -> Any:
        try:
            data: dict[str, Any] | None = _decode_any(payload)
            for fn in fns:
                if data is None:
                    return None
                data = fn(data)
            if data is None:
                return None
            data.pop(tag_field, None)
            return convert(data, target)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise msgspec.ValidationError(f"upcasting failed: {exc!r}") from exc

    return upcast


def _on_structs(steps: tuple[TypedStep, ...], target: type[msgspec.Struct]) -> Decode:
    """Decode as the first step's old Struct, then run the step functions."""
    decode = msgspec.json.Decoder(steps[0].old).decode
    fns = tuple(step.fn for step in steps)

    def upcast(payload: bytes) -> Any:
        event: Any = decode(payload)
        try:
            for fn in fns:
                event = fn(event)
                if event is None:
                    return None
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise msgspec.ValidationError(f"upcasting failed: {exc!r}") from exc
        if type(event) is not target:
            raise msgspec.ValidationError(
                f"upcasting returned {type(event).__name__}, not {target.__name__}"
            )
        return event

    return upcast


_SCALARS = (str, int, float, bool, type(None))
type Source = tuple[str | None, Any]  # (stored key or None, default or _MISSING)
_MISSING: Any = msgspec.NODEFAULT


def _typed(
    changes: tuple[FieldChanges, ...], target: type[msgspec.Struct], current: Decode
) -> Decode | None:
    """A declarative chain as one typed decode: the target's own decoder when the old
    payload already decodes right (fields added with the Struct's defaults), else a
    look-alike Struct that reads the stored keys and defaults, copied into the target.
    `None` where the JSON-object path must decide (then it is used instead)."""
    sources = _sources(changes)
    if sources is None or target.__struct_config__.forbid_unknown_fields:
        return None
    specs = [_field_spec(f, *sources) for f in msgspec.structs.fields(target)]
    if any(spec is None for spec in specs):
        return None
    fields = [spec for spec in specs if spec is not None]
    if all(same for _, _, same in fields):
        return current
    try:
        return _look_alike(target, [f for f, _, _ in fields], {f[0]: k for f, k, _ in fields})
    except (TypeError, ValueError):  # a shape msgspec refuses: the JSON-object path decides
        return None


type FieldSpec = tuple[tuple[str, Any] | tuple[str, Any, Any], str, bool]


def _field_spec(
    f: msgspec.structs.FieldInfo, tracked: dict[str, Source], hidden: set[str]
) -> FieldSpec | None:
    """(defstruct field, stored key, same as the target's own field?) or `None`."""
    if f.encode_name in hidden and f.encode_name not in tracked:
        return None  # the stored key was removed: only the JSON-object path knows
    key, default = tracked.get(f.encode_name, (f.encode_name, _MISSING))
    if key is None or not (default is _MISSING or isinstance(default, _SCALARS)):
        return None
    same = key == f.encode_name
    if default is _MISSING:
        default = f.default
    elif not _fits(default, f.type):
        return None  # the JSON-object path reports it (as a corrupt event)
    else:
        same = same and f.default_factory is msgspec.NODEFAULT
        same = same and type(f.default) is type(default) and f.default == default
    if default is not msgspec.NODEFAULT:
        return (f.name, f.type, default), key, same
    if f.default_factory is not msgspec.NODEFAULT:
        return (f.name, f.type, msgspec.field(default_factory=f.default_factory)), key, same
    return (f.name, f.type), key, same


def _fits(value: Any, type_: Any) -> bool:
    try:
        converted = msgspec.convert(value, type_)
    except (msgspec.ValidationError, TypeError):
        return False
    return type(converted) is type(value) and bool(converted == value)


def _sources(changes: tuple[FieldChanges, ...]) -> tuple[dict[str, Source], set[str]] | None:
    """Where each key of the upcast object comes from, composed over the steps.

    Returns (tracked keys → source, stored keys hidden from their own name), or `None`
    for a chain a look-alike Struct cannot express.
    """
    tracked: dict[str, Source] = {}
    hidden: set[str] = set()
    for step in changes:
        for key in step.removes:
            tracked.pop(key, None)
            hidden.add(key)
        for old, new in step.renames.items():
            source = tracked.pop(old, None) if old in tracked or old in hidden else (old, _MISSING)
            hidden.update((old, new))
            tracked.pop(new, None)
            if source is not None:
                tracked[new] = source
        for key, value in step.defaults.items():
            if key in tracked:
                stored, default = tracked[key]
                tracked[key] = (stored, value if default is _MISSING else default)
            elif key in hidden:
                return None  # a default for a key that was removed or renamed away
            else:
                tracked[key] = (key, value)
                hidden.add(key)
    return tracked, hidden


def _look_alike(
    target: type[msgspec.Struct], spec: list[Any], rename: dict[str, str]
) -> Decode | None:
    parameters = inspect.signature(target).parameters.values()
    if any(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters):
        return None  # keyword construction costs more than the JSON-object path saves
    # kw_only: a step may give an early field a default while a later one stays required.
    shadow = msgspec.defstruct(target.__name__, spec, rename=rename, gc=False, kw_only=True)
    decode = msgspec.json.Decoder(shadow).decode
    astuple = msgspec.structs.astuple
    return lambda payload: target(*astuple(decode(payload)))
