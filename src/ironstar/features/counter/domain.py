"""Counters: commands, events and one pure decider shape used by two aggregates.

The global counter (aggregate "counter", id "global") is shared by everyone; the session
counter (aggregate "session_counter", id = session owner) belongs to one visitor. Both
obey the same rules, so they share the functions and differ only in aggregate type.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from ironstar.kernel import DomainError, FunctionDecider

# Browsers read the value as a JS number; stay far inside Number.MAX_SAFE_INTEGER.
LIMIT = 1_000_000_000
GLOBAL_ID = "global"


# -- Commands ---------------------------------------------------------------------------
class Increment(msgspec.Struct, frozen=True, tag=True):
    pass


class Decrement(msgspec.Struct, frozen=True, tag=True):
    pass


class Reset(msgspec.Struct, frozen=True, tag=True):
    pass


CounterCommand = Increment | Decrement | Reset


# -- Events -----------------------------------------------------------------------------
class Incremented(msgspec.Struct, frozen=True, tag=True):
    pass


class Decremented(msgspec.Struct, frozen=True, tag=True):
    pass


class CounterReset(msgspec.Struct, frozen=True, tag=True):
    previous: int


CounterEvent = Incremented | Decremented | CounterReset


# -- Errors and state -------------------------------------------------------------------
class CounterOutOfRange(DomainError):
    pass


class Counter(msgspec.Struct, frozen=True):
    value: int = 0


# -- Decide and evolve ------------------------------------------------------------------
def decide(state: Counter, command: CounterCommand) -> Sequence[CounterEvent]:
    match command:
        case Increment():
            _check_range(state.value + 1)
            return [Incremented()]
        case Decrement():
            _check_range(state.value - 1)
            return [Decremented()]
        case Reset():
            # Resetting zero records nothing: the log holds changes, not button presses.
            return [CounterReset(previous=state.value)] if state.value else []


def _check_range(value: int) -> None:
    if abs(value) > LIMIT:
        raise CounterOutOfRange(f"The counter stays between -{LIMIT:,} and {LIMIT:,}.")


def evolve(state: Counter, event: CounterEvent) -> Counter:
    match event:
        case Incremented():
            return Counter(state.value + 1)
        case Decremented():
            return Counter(state.value - 1)
        case CounterReset():
            return Counter(0)


def _counter_decider(aggregate_type: str) -> FunctionDecider[Counter, CounterCommand, CounterEvent]:
    return FunctionDecider[Counter, CounterCommand, CounterEvent](
        aggregate_type=aggregate_type,
        event_types=CounterEvent,
        initial=Counter,
        decide_fn=decide,
        evolve_fn=evolve,
    )


global_counter = _counter_decider("counter")
session_counter = _counter_decider("session_counter")
