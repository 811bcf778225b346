"""Given/when/then for deciders: `given(decider, *events).when(command).then(*events)`.

Besides the expectation, every scenario checks what a unit test usually forgets:
`evolve` is deterministic over given + emitted events, and every event survives a
JSON round trip through the codec (so it can really be stored).
"""

from __future__ import annotations

from typing import Any

from ironstar.kernel.codec import EventCodec
from ironstar.kernel.decider import Decider, fold
from ironstar.kernel.errors import DomainError


def given(decider: Decider[Any, Any, Any], *events: Any) -> Scenario:
    return Scenario(decider, list(events))


class Scenario:
    def __init__(self, decider: Decider[Any, Any, Any], history: list[Any]) -> None:
        self.decider = decider
        self.history = history

    def when(self, command: Any) -> Outcome:
        state = fold(self.decider, self.decider.initial_state(), self.history)
        try:
            emitted = list(self.decider.decide(state, command))
        except DomainError as exc:
            return Outcome(self, [], exc)
        return Outcome(self, emitted, None)


class Outcome:
    def __init__(self, scenario: Scenario, emitted: list[Any], error: DomainError | None) -> None:
        self.scenario = scenario
        self.emitted = emitted
        self.error = error

    def then(self, *expected: Any) -> Outcome:
        assert self.error is None, f"expected events, got {self.error!r}"
        assert self.emitted == list(expected), f"emitted {self.emitted}, expected {list(expected)}"
        self._check_consistency()
        return self

    def then_error(self, error_type: type[DomainError], message: str | None = None) -> Outcome:
        assert isinstance(self.error, error_type), f"expected {error_type.__name__}, " + (
            f"got {self.error!r}" if self.error else f"emitted {self.emitted}"
        )
        if message is not None:
            assert self.error.message == message, f"message was {self.error.message!r}"
        return self

    def then_state(self, expected: Any) -> Outcome:
        assert self.error is None, f"expected a state, got {self.error!r}"
        state = self._final_state()
        assert state == expected, f"state {state!r}, expected {expected!r}"
        self._check_consistency()
        return self

    def _final_state(self) -> Any:
        decider = self.scenario.decider
        return fold(decider, decider.initial_state(), [*self.scenario.history, *self.emitted])

    def _check_consistency(self) -> None:
        assert self._final_state() == self._final_state(), "evolve is not deterministic"
        codec: EventCodec[Any] = EventCodec(self.scenario.decider.event_types)
        for event in [*self.scenario.history, *self.emitted]:
            new = codec.encode(event, "roundtrip")
            assert codec.decode_payload(new.event_type, new.event_version, new.payload) == event
