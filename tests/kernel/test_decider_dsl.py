from __future__ import annotations

import pytest

from ironstar.kernel.testing import given
from tests.kernel.counter import (
    Add,
    Added,
    Close,
    Closed,
    CounterClosedError,
    CounterState,
    counter,
)


def test_adding_to_an_open_counter_emits_added() -> None:
    given(counter, Added(1)).when(Add(2)).then(Added(2)).then_state(CounterState(total=3))


def test_adding_to_a_closed_counter_is_refused_with_a_user_message() -> None:
    outcome = given(counter, Closed()).when(Add(1)).then_error(CounterClosedError)
    assert outcome.error is not None
    assert outcome.error.message == "This counter is closed."


def test_closing_a_counter_emits_closed_and_closes_the_state() -> None:
    given(counter).when(Close()).then(Closed()).then_state(CounterState(closed=True))


def test_then_fails_when_the_emitted_events_differ() -> None:
    with pytest.raises(AssertionError, match="emitted"):
        given(counter).when(Add(1)).then(Added(2))


def test_then_error_fails_when_events_were_emitted() -> None:
    with pytest.raises(AssertionError, match="expected CounterClosedError"):
        given(counter).when(Add(1)).then_error(CounterClosedError)
