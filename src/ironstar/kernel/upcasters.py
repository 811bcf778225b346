"""Upcasters: turn stored old event versions into the current ones, checked at start-up.

An upcaster maps the JSON object of `(event_type, from_version)` to the object of the
next version (or of a renamed type), or to `None` to drop a deprecated event. Chains
are resolved once at construction: a gap, a cycle or a chain that does not reach a
current event class raises `UpcasterChainError` before the app serves anything.

`Upcaster.fields(...)` declares the common steps (add a field with a default, rename,
remove) as data; a chain made only of those is compiled by the codec into a typed
decoder (no JSON objects at read time).
"""

from __future__ import annotations

import copy
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Union, cast, get_args, get_origin

import msgspec

from ironstar.kernel.errors import UpcasterChainError

type Payload = dict[str, Any]
type UpcastFn = Callable[[Payload], Payload | None]
type Key = tuple[str, int]

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class FieldChanges:
    """A declarative step on a JSON object, applied in this order: `removes` drop keys,
    `renames` move old -> new (a stored `new` key is dropped; nothing moves if `old` is
    absent), `defaults` fill keys that are still missing. Values are JSON values."""

    defaults: dict[str, Any]
    renames: dict[str, str]
    removes: tuple[str, ...]

    def apply(self, data: Payload) -> Payload:
        for key in self.removes:
            data.pop(key, None)
        for old, new in self.renames.items():
            value = data.pop(old, _MISSING)
            data.pop(new, None)
            if value is not _MISSING:
                data[new] = value
        for key, value in self.defaults.items():
            if key not in data:
                data[key] = copy.deepcopy(value) if isinstance(value, list | dict) else value
        return data


@dataclass(frozen=True, slots=True)
class TypedStep:
    """A step written for Structs: `fn(old_struct) -> next version's Struct | None`."""

    old: type[msgspec.Struct]
    fn: Callable[[Any], msgspec.Struct | None]

    def apply(self, data: Payload) -> Payload | None:
        """The same step on JSON objects (for chains that mix it with function steps)."""
        data.pop(self.old.__struct_config__.tag_field or "type", None)
        new = self.fn(msgspec.convert(data, self.old))
        return None if new is None else cast(Payload, msgspec.to_builtins(new))


@dataclass(frozen=True, slots=True)
class Upcaster:
    """One step: `(event_type, from_version)` → `(to_type or event_type, to_version or +1)`."""

    event_type: str
    from_version: int
    fn: UpcastFn
    to_type: str | None = None
    to_version: int | None = None
    retires: bool = False
    changes: FieldChanges | None = None
    typed: TypedStep | None = None

    @classmethod
    def fields(
        cls,
        event_type: str,
        from_version: int,
        *,
        defaults: dict[str, Any] | None = None,
        renames: dict[str, str] | None = None,
        removes: Iterable[str] = (),
        to_type: str | None = None,
        to_version: int | None = None,
    ) -> Upcaster:
        """A declarative step (see `FieldChanges`); chains of these decode typed, fast."""
        changes = FieldChanges(dict(defaults or {}), dict(renames or {}), tuple(removes))
        return cls(event_type, from_version, changes.apply, to_type, to_version, changes=changes)

    @classmethod
    def typed_step[O: msgspec.Struct](
        cls,
        event_type: str,
        from_version: int,
        old: type[O],
        fn: Callable[[O], msgspec.Struct | None],
        *,
        to_type: str | None = None,
        to_version: int | None = None,
    ) -> Upcaster:
        """A step with logic, on Structs: the stored payload decodes typed as `old` (tagged
        with the stored `event_type`, or untagged) and `fn` returns the next version."""
        tag = old.__struct_config__.tag
        if tag is not None and tag != event_type:
            raise UpcasterChainError(f"{old.__name__} has tag {tag!r}, stored as {event_type!r}")
        step = TypedStep(old, fn)
        return cls(event_type, from_version, step.apply, to_type, to_version, typed=step)

    @classmethod
    def retire(cls, event_type: str, version: int) -> Upcaster:
        """Drop every stored `(event_type, version)` event: the chain ends here."""
        return cls(event_type, version, lambda _: None, retires=True)

    @property
    def source(self) -> Key:
        return (self.event_type, self.from_version)

    @property
    def target(self) -> Key:
        to_version = self.from_version + 1 if self.to_version is None else self.to_version
        return (self.to_type or self.event_type, to_version)


@dataclass(frozen=True, slots=True)
class Chain:
    """A resolved chain: apply `fns` in order, then decode as `target`."""

    fns: tuple[UpcastFn, ...]
    target: Key | None  # None: the event is retired (dropped)
    changes: tuple[FieldChanges, ...] | None = None  # every step declarative: compile typed
    typed: tuple[TypedStep, ...] | None = None  # every step on Structs: decode typed


def event_classes(event_types: Any) -> list[type[msgspec.Struct]]:
    """The Struct classes of a tagged union (`A | B`, `Union[A, B]`) or of one class."""
    if get_origin(event_types) in (Union, types.UnionType):
        return [cls for arg in get_args(event_types) for cls in event_classes(arg)]
    if isinstance(event_types, types.UnionType):
        return [cls for arg in get_args(event_types) for cls in event_classes(arg)]
    return [event_types]


def event_type_of(cls: type[msgspec.Struct]) -> str:
    """The stored `event_type`: the msgspec tag, which defaults to the class name."""
    tag = cls.__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"{cls.__name__} must be a Struct with tag=True (a string tag)")
    return tag


def event_version_of(cls: type[msgspec.Struct]) -> int:
    """The current version: a `ClassVar[int]` named `event_version`, default 1."""
    return int(getattr(cls, "event_version", 1))


class Upcasters:
    """A validated registry of upcaster chains keyed by `(event_type, version)`."""

    def __init__(self, event_types: Iterable[Any], steps: Iterable[Upcaster] = ()) -> None:
        classes = [cls for union in event_types for cls in event_classes(union)]
        self.current: set[Key] = {(event_type_of(c), event_version_of(c)) for c in classes}
        self._steps: dict[Key, Upcaster] = {}
        for step in steps:
            if step.source in self._steps:
                raise UpcasterChainError(f"two upcasters for {step.source}")
            if step.source in self.current:
                raise UpcasterChainError(f"upcaster from current version {step.source}")
            self._steps[step.source] = step
        self._check_no_gap_below_current()
        self.chains: dict[Key, Chain] = {key: self._resolve(key) for key in self._steps}

    def _check_no_gap_below_current(self) -> None:
        for event_type, version in self.current:
            if version > 1 and (event_type, version - 1) not in self._steps:
                raise UpcasterChainError(
                    f"{event_type} is at version {version} but no upcaster from {version - 1}"
                )

    def _resolve(self, key: Key) -> Chain:
        fns: list[UpcastFn] = []
        changes: list[FieldChanges | None] = []
        typed: list[TypedStep | None] = []
        seen: set[Key] = set()
        while key not in self.current:
            if key in seen:
                raise UpcasterChainError(f"upcaster cycle through {key}")
            step = self._steps.get(key)
            if step is None:
                raise UpcasterChainError(f"upcaster chain gap: nothing upcasts {key}")
            seen.add(key)
            fns.append(step.fn)
            changes.append(step.changes)
            typed.append(step.typed)
            if step.retires:
                return Chain(tuple(fns), None)
            key = step.target
        declared = tuple(c for c in changes if c is not None)
        on_structs = tuple(t for t in typed if t is not None)
        return Chain(
            tuple(fns),
            key,
            declared if len(declared) == len(fns) else None,
            on_structs if len(on_structs) == len(fns) else None,
        )

    def chain(self, event_type: str, version: int) -> Chain | None:
        return self.chains.get((event_type, version))
