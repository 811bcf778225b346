"""A tiny decider used by kernel and store tests (not an example to copy: see features/)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from ironstar.kernel import DomainError, FunctionDecider


class Add(msgspec.Struct, frozen=True, tag=True):
    amount: int


class Close(msgspec.Struct, frozen=True, tag=True):
    pass


type CounterCommand = Add | Close


class Added(msgspec.Struct, frozen=True, tag=True):
    amount: int


class Closed(msgspec.Struct, frozen=True, tag=True):
    pass


CounterEvent = Added | Closed


class CounterState(msgspec.Struct, frozen=True):
    total: int = 0
    closed: bool = False


class CounterClosedError(DomainError):
    def __init__(self) -> None:
        super().__init__("This counter is closed.")


def decide(state: CounterState, command: CounterCommand) -> Sequence[Added | Closed]:
    if state.closed:
        raise CounterClosedError
    match command:
        case Add(amount=amount):
            return [Added(amount)]
        case Close():
            return [Closed()]


def evolve(state: CounterState, event: Added | Closed) -> CounterState:
    match event:
        case Added(amount=amount):
            return CounterState(state.total + amount, state.closed)
        case Closed():
            return CounterState(state.total, closed=True)


counter: FunctionDecider[CounterState, CounterCommand, Added | Closed] = FunctionDecider(
    aggregate_type="counter",
    event_types=CounterEvent,
    initial=CounterState,
    decide_fn=decide,
    evolve_fn=evolve,
)
