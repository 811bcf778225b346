"""The counter decider, given/when/then."""

from __future__ import annotations

import pytest

from ironstar.features.counter.domain import (
    LIMIT,
    Counter,
    CounterOutOfRange,
    CounterReset,
    Decrement,
    Decremented,
    Increment,
    Incremented,
    Reset,
    global_counter,
    session_counter,
)
from ironstar.kernel.testing import given


def test_incrementing_a_new_counter_emits_incremented() -> None:
    given(global_counter).when(Increment()).then(Incremented()).then_state(Counter(1))


def test_decrementing_below_zero_is_allowed() -> None:
    given(global_counter).when(Decrement()).then(Decremented()).then_state(Counter(-1))


def test_reset_records_the_value_it_discards() -> None:
    (
        given(global_counter, Incremented(), Incremented(), Decremented())
        .when(Reset())
        .then(CounterReset(previous=1))
        .then_state(Counter(0))
    )


def test_resetting_zero_records_nothing() -> None:
    given(global_counter, Incremented(), Decremented()).when(Reset()).then()


@pytest.mark.parametrize(("command", "value"), [(Increment(), LIMIT), (Decrement(), -LIMIT)])
def test_the_value_stays_within_the_limit(command: Increment | Decrement, value: int) -> None:
    # Decided from a state at the limit directly: given() would need a billion events.
    with pytest.raises(CounterOutOfRange, match="stays between"):
        global_counter.decide(Counter(value), command)


def test_both_counters_share_rules_but_not_streams() -> None:
    assert global_counter.aggregate_type == "counter"
    assert session_counter.aggregate_type == "session_counter"
    given(session_counter, Incremented()).when(Reset()).then(CounterReset(previous=1))
