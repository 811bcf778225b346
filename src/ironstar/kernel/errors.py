"""The kernel's error vocabulary: domain refusals versus infrastructure faults."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused by the domain; `message` is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConcurrencyError(Exception):
    """The stream moved on since it was loaded: expected version != actual version."""

    def __init__(self, aggregate_type: str, aggregate_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"{aggregate_type}/{aggregate_id}: expected version {expected}, found {actual}"
        )
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id
        self.expected = expected
        self.actual = actual


class DuplicateEventError(Exception):
    """Some (not all) event ids of an append already exist, or exist in another stream.

    A full repeat of a committed append is not an error: it returns the stored events.
    """


class UnknownEventError(Exception):
    """No event class or upcaster chain knows this `(event_type, event_version)`."""

    def __init__(self, event_type: str, event_version: int, position: int = 0) -> None:
        super().__init__(
            f"unknown event {event_type!r} version {event_version} at position {position}"
            " (missing event class or upcaster?)"
        )
        self.event_type = event_type
        self.event_version = event_version
        self.position = position


class CorruptEventError(Exception):
    """A stored payload does not decode; the position says where to look."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"corrupt event at position {position}: {reason}")
        self.position = position
        self.reason = reason


class UpcasterChainError(Exception):
    """The upcaster registry has a gap or a cycle: raised at start-up, never at read time."""


class StoreClosedError(Exception):
    """The event store was closed; no more appends or reads."""
