"""Deciders: the pure, synchronous shape of an aggregate (Chassaing's decider pattern)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class Decider[S, C, E](Protocol):
    """An aggregate as three pure functions plus the metadata the store needs.

    `event_types` is the tagged msgspec union of the events (the tag, i.e. the class
    name, is the stored `event_type`); `version` keys snapshots, so bump it whenever
    the shape or meaning of the state changes.
    """

    @property
    def aggregate_type(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def event_types(self) -> Any: ...
    def initial_state(self) -> S: ...
    def decide(self, state: S, command: C) -> Sequence[E]: ...
    def evolve(self, state: S, event: E) -> S: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionDecider[S, C, E]:
    """A decider made of plain functions, so a feature declares one in a few lines.

    >>> todo = FunctionDecider(aggregate_type="todo", event_types=TodoEvent,
    ...     initial=TodoState, decide_fn=decide, evolve_fn=evolve)  # doctest: +SKIP
    """

    aggregate_type: str
    event_types: Any
    initial: Callable[[], S]
    decide_fn: Callable[[S, C], Sequence[E]]
    evolve_fn: Callable[[S, E], S]
    version: int = 1
    # The functions themselves, not methods that call them: `evolve` runs once per event
    # in every replay and projection, where a wrapper's extra call showed.
    decide: Callable[[S, C], Sequence[E]] = field(init=False, repr=False, compare=False)
    evolve: Callable[[S, E], S] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "decide", self.decide_fn)
        object.__setattr__(self, "evolve", self.evolve_fn)

    def initial_state(self) -> S:
        return self.initial()


def fold[S, E](decider: Decider[S, Any, E], state: S, events: Sequence[E]) -> S:
    """Evolve `state` through `events` in order."""
    evolve = decider.evolve
    for event in events:
        state = evolve(state, event)
    return state
