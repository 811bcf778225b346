"""EventCodec: domain events <-> envelopes, with upcasting on the way in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

import msgspec

from ironstar.kernel.envelope import NewEvent, StoredEvent, StreamRow
from ironstar.kernel.errors import CorruptEventError, UnknownEventError
from ironstar.kernel.upcasters import (
    Upcasters,
    event_classes,
    event_type_of,
    event_version_of,
)

_BAD_PAYLOAD = (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError)


class EventCodec[E]:
    """Encodes events of one tagged union and decodes their stored payloads.

    Current versions decode straight from JSON bytes into the Struct (msgspec's
    fastest path); older versions go through the upcaster chain as JSON objects.
    """

    def __init__(self, event_types: Any, upcasters: Upcasters | None = None) -> None:
        classes = event_classes(event_types)
        self._classes = {event_type_of(c): c for c in classes}
        self._direct: dict[tuple[str, int], Callable[[bytes], Any]] = {
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

    def decode(self, stored: StoredEvent) -> E | None:
        """The domain event, or `None` if an upcaster dropped it."""
        direct = self._direct.get((stored.event_type, stored.event_version))
        if direct is None:
            return self._upcast(
                stored.event_type, stored.event_version, stored.payload, stored.position
            )
        try:
            return cast(E, direct(stored.payload))
        except _BAD_PAYLOAD as exc:
            raise CorruptEventError(stored.position, str(exc)) from exc

    def decode_payload(
        self, event_type: str, event_version: int, payload: bytes, position: int = 0
    ) -> E | None:
        direct = self._direct.get((event_type, event_version))
        if direct is None:
            return self._upcast(event_type, event_version, payload, position)
        try:
            return cast(E, direct(payload))
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
                event = self._upcast(event_type, event_version, payload, position)
                if event is not None:
                    out.append(event)
                continue
            try:
                event = fn(payload)
            except _BAD_PAYLOAD as exc:
                raise CorruptEventError(position, str(exc)) from exc
            if event is not None:  # a compiled upcaster may retire it
                out.append(event)
        return out

    def _upcast(self, event_type: str, version: int, payload: bytes, position: int) -> E | None:
        """First sight of an old version: compile its chain into a direct decoder."""
        chain = self._upcasters.chain(event_type, version) if self._upcasters else None
        if chain is None or (chain.target and chain.target[0] not in self._classes):
            raise UnknownEventError(event_type, version, position)
        target = None if chain.target is None else self._classes[chain.target[0]]
        decoder = _compile(chain.fns, target)
        self._direct[(event_type, version)] = decoder
        try:
            return cast(E | None, decoder(payload))
        except _BAD_PAYLOAD as exc:
            raise CorruptEventError(position, str(exc)) from exc


_decode_any = msgspec.json.Decoder().decode


def _compile(
    fns: tuple[Callable[[dict[str, Any]], dict[str, Any] | None], ...],
    target: type[msgspec.Struct] | None,
) -> Callable[[bytes], Any]:
    """One closure per old (type, version): JSON → dict → upcasters → the current Struct.

    Failures surface as `msgspec.ValidationError`, which callers turn into a
    `CorruptEventError` carrying the position, exactly like a bad current payload.
    """
    if target is None:
        return lambda _payload: None  # retired: the event is dropped
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
        except (AttributeError, KeyError, TypeError) as exc:
            raise msgspec.ValidationError(f"upcasting failed: {exc}") from exc

    return upcast
