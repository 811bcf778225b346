"""Time-ordered ids and UTC timestamps, for the edges that create events (never deciders)."""

from __future__ import annotations

import itertools
import os
import random
import time
from datetime import UTC, datetime

_random = random.Random()  # noqa: S311 - unique, not secret (see uuid7)

# (millisecond, text head of its ids, counter of their tails), replaced as one tuple so a
# thread never pairs one millisecond's head with another's counter.
type _Millisecond = tuple[int, str, itertools.count[int]]
_current: _Millisecond = (-1, "", itertools.count())


def _restart() -> None:
    """A forked child must not repeat its parent's ids: new random bits, new head."""
    global _current  # noqa: PLW0603 - the module's one piece of state
    _random.seed()
    _current = (-1, "", itertools.count())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_restart)


def uuid7() -> str:
    """A UUIDv7 string: time-ordered, so the `event_id` index stays append-friendly.

    Random v4 ids slowed inserts ~18 % at 2M rows here (FIELD-NOTES). RFC 9562's
    monotonic counter method: the first id of a millisecond draws 74 random bits; the
    next ids of that millisecond add one to its low 48 bits, so ids of one process never
    repeat (`next` on the counter is atomic, threads included) and sort in creation order,
    and only the 12-hex-digit tail is formatted per id (0.3 µs instead of 1.3). The bits
    come from `random` (reseeded after fork), not `os.urandom`: ids must be unique, not
    secret. Never use them as tokens.
    """
    ms = time.time_ns() // 1_000_000
    current = _current
    if ms != current[0]:
        current = _new_millisecond(ms)
    return current[1] + next(current[2]).to_bytes(6).hex()  # cheaper than a format spec


def _new_millisecond(ms: int) -> _Millisecond:
    """unix_ts_ms (48 bits), version 7, rand_a (12), variant 0b10, rand_b's top 14 bits;
    the tail counter starts at 47 random bits (2^47 ids before it would overflow 48)."""
    global _current  # noqa: PLW0603 - the module's one piece of state
    rand = _random.getrandbits(74)
    high = ((ms & 0xFFFFFFFFFFFF) << 16 | 0x7000 | rand >> 62).to_bytes(8).hex()
    variant = (0x8000 | rand >> 48 & 0x3FFF).to_bytes(2).hex()
    head = f"{high[:8]}-{high[8:12]}-{high[12:]}-{variant}-"
    _current = (ms, head, itertools.count((rand & 0x7FFFFFFFFFFF) + 1))
    return _current


# (unix second, its ISO text up to the seconds), replaced as one tuple (see `_current`).
_second: tuple[int, str] = (-1, "")


def utc_now_iso() -> str:
    """Now as ISO-8601 UTC with microseconds, e.g. `2026-11-27T05:25:00.123456+00:00`.

    Always six fraction digits (`datetime.isoformat` drops them on a whole second), so
    timestamps sort as text. The date and time up to the second are formatted once per
    second: 0.3 µs instead of 1.2 per event.
    """
    global _second  # noqa: PLW0603 - a cache, replaced whole
    seconds, micros = divmod(time.time_ns() // 1000, 1_000_000)
    second, head = _second
    if seconds != second:
        head = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second = (seconds, head)
    return f"{head}.{micros:06d}+00:00"
