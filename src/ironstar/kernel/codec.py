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
                out.append(fn(payload))
            except _BAD_PAYLOAD as exc:
                raise CorruptEventError(position, str(exc)) from exc
        return out

    def _upcast(self, event_type: str, version: int, payload: bytes, position: int) -> E | None:
        chain = self._upcasters.chain(event_type, version) if self._upcasters else None
        if chain is None or (chain.target and chain.target[0] not in self._classes):
            raise UnknownEventError(event_type, version, position)
        if chain.target is None:
            return None
        try:
            data: dict[str, Any] | None = msgspec.json.decode(payload)
            for fn in chain.fns:
                if data is None:
                    return None
                data = fn(data)
            if data is None:
                return None
            cls = self._classes[chain.target[0]]
            data.pop(cls.__struct_config__.tag_field or "type", None)
            return cast(E, msgspec.convert(data, cls))
        except (*_BAD_PAYLOAD, AttributeError, KeyError, TypeError) as exc:
            raise CorruptEventError(position, f"upcasting failed: {exc}") from exc
