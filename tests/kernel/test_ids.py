from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest

from ironstar.kernel import utc_now_iso, uuid7

# Parent and child each take a new millisecond after the fork, so each draws random bits:
# the same bits in both would mean the child kept its parent's random state.
_FORK = """
import os, time
from ironstar.kernel import uuid7
uuid7()
r, w = os.pipe()
child = os.fork() == 0
time.sleep(0.002)
mine = uuid7()
if child:
    os.write(w, mine.encode())
    os._exit(0)
os.wait()
print(mine, os.read(r, 36).decode())
"""


def test_uuid7_is_an_rfc_9562_version_7_uuid_stamped_with_the_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid.UUID(uuid7())
    after = time.time_ns() // 1_000_000
    assert (value.version, value.variant) == (7, uuid.RFC_4122)
    assert before <= value.int >> 80 <= after


def test_ids_of_one_process_never_repeat_and_sort_in_creation_order() -> None:
    ids = [uuid7() for _ in range(50_000)]  # many per millisecond: the counter path
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_made_on_several_threads_at_once_never_repeat() -> None:
    made: list[list[str]] = [[] for _ in range(4)]
    threads = [
        threading.Thread(target=lambda out=out: out.extend(uuid7() for _ in range(20_000)))
        for out in made
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [i for out in made for i in out]
    assert len(set(everything)) == len(everything) == 80_000


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _FORK], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    parent, child = out
    assert parent[15:] != child[15:]  # the bits after the timestamp


def test_utc_now_iso_is_the_current_utc_time_with_six_fraction_digits() -> None:
    before = datetime.now(UTC)
    stamps = [utc_now_iso() for _ in range(2000)]
    after = datetime.now(UTC)
    for stamp in stamps:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", stamp)
        assert before <= datetime.fromisoformat(stamp) <= after
    assert stamps == sorted(stamps)  # fixed width: text order is time order


def test_utc_now_iso_moves_on_to_the_next_second(monkeypatch: pytest.MonkeyPatch) -> None:
    ns = iter([1_800_000_000_999_999_000, 1_800_000_001_000_001_000])
    monkeypatch.setattr(time, "time_ns", lambda: next(ns))
    assert utc_now_iso() == "2027-01-15T08:00:00.999999+00:00"
    assert utc_now_iso() == "2027-01-15T08:00:01.000001+00:00"
