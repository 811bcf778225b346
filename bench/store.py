"""Event store benchmarks: Ironstar vs the `eventsourcing` library vs the raw drivers.

    .venv/bin/python bench/store.py --json [--quick] [--repeats N] [--only "T1 seq"]

Every workload runs in this one process, against a fresh file per repeat where it
writes, with fsync on every commit (`synchronous=FULL`, WAL) for all three.
Rates are medians of `--repeats` runs; `vs_es` = ironstar / eventsourcing. The raw
ceilings run the same workload on the bare driver: `raw_apsw` on the library Ironstar
uses, `raw_sqlite3` on the stdlib module (what it used before, and what eventsourcing
uses). The raw ceiling for "64 writers" is plain executemany of 64 rows per fsync'd
transaction, i.e. perfect group commit with no command work at all.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _eventsourcing as es
from bench import _ironstar as ours
from bench import _raw as raw
from bench._timing import median_rate

type Run = Callable[[Path], tuple[int, float]]


def fixed(path: Path, run: Callable[[Path], tuple[int, float]]) -> Run:
    """A read workload on a file populated once (the fresh temp dir is ignored)."""
    return lambda _tmp: run(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--only", default="", help="run only the workloads whose name starts with this (T1...)"
    )
    args = parser.parse_args()
    q = args.quick
    n_seq, n_conc = (300, 3000) if q else (2000, 20000)
    n_10, n_100, n_read = (10_000, 50_000, 50_000) if q else (200_000, 1_000_000, 1_000_000)
    r = args.repeats
    # T1/T2 take turns too: fsync time on this shared box swings 10x within minutes.
    writes: dict[str, dict[str, Run]] = {
        "T1 sequential commands/s": {
            "ironstar": lambda t: ours.commands(t, n_seq, 1),
            "eventsourcing": lambda t: es.commands(t, n_seq, 1),
            "raw_sqlite3": lambda t: raw.singles(t, n_seq),
            "raw_apsw": lambda t: raw.singles(t, n_seq, "apsw")},
        "T1 64 writers commands/s": {
            "ironstar": lambda t: ours.commands(t, n_conc, 64),
            "eventsourcing": lambda t: es.commands(t, n_conc, 64),
            "raw_sqlite3": lambda t: raw.batched(t, n_conc, 64),
            "raw_apsw": lambda t: raw.batched(t, n_conc, 64, "apsw")},
        "T2 10/txn events/s": {
            "ironstar": lambda t: ours.batched(t, n_10, 10),
            "eventsourcing": lambda t: es.batched(t, n_10, 10),
            "raw_sqlite3": lambda t: raw.batched(t, n_10, 10),
            "raw_apsw": lambda t: raw.batched(t, n_10, 10, "apsw")},
        "T2 100/txn events/s": {
            "ironstar": lambda t: ours.batched(t, n_100, 100),
            "eventsourcing": lambda t: es.batched(t, n_100, 100),
            "raw_sqlite3": lambda t: raw.batched(t, n_100, 100),
            "raw_apsw": lambda t: raw.batched(t, n_100, 100, "apsw")},
    }  # fmt: skip
    rows = [
        taking_turns(name, r, runs) for name, runs in writes.items() if name.startswith(args.only)
    ]
    if not args.only or args.only[:2] in {"T4", "T5", "T6", "T9"}:  # one shared log
        with tempfile.TemporaryDirectory() as tmp:
            rows += read_rows(Path(tmp), n_read, r)
    out = {"quick": q, "repeats": r, "rows": rows}
    print(json.dumps(out, indent=2) if args.json else out)


def read_rows(tmp: Path, n: int, r: int) -> list[dict[str, object]]:
    mine, theirs = tmp / "e.db", tmp / "es.db"
    ours.populate(mine, n)
    es.populate(theirs, n)
    # T4/T5/T9 take turns (a, b, c, a, b, c, ...) so that load changes on this shared
    # box hit every variant alike. T9: the same version-1 log read as current `Added`
    # and upcast into `AddedV2`, rated by CPU time (wall clock swung ±50 % between two
    # variants with the very same decoder).
    t9 = interleaved(
        r,
        {
            "current": fixed(mine, lambda p: ours.read_rows(p, decode=True, cpu=True)),
            "fields": fixed(mine, lambda p: ours.read_upcast(p, "fields", cpu=True)),
            "typed": fixed(mine, lambda p: ours.read_upcast(p, "typed", cpu=True)),
            "function": fixed(mine, lambda p: ours.read_upcast(p, "function", cpu=True)),
        },
    )
    return [
        taking_turns("T4 catch-up rows/s (read_all_rows; raw = same 7 columns)", r, {
            "ironstar": fixed(mine, lambda p: ours.read_rows(p, decode=False)),
            "eventsourcing": fixed(theirs, lambda p: es.read_all(p, decode=False)),
            "raw_sqlite3": fixed(mine, raw.read_rows),
            "raw_apsw": fixed(mine, lambda p: raw.read_rows(p, "apsw")),
            "ironstar_envelopes": fixed(mine, lambda p: ours.read_all(p, decode=False)),
            "raw_sqlite3_select_star": fixed(mine, raw.read_all),
            "raw_apsw_select_star": fixed(mine, lambda p: raw.read_all(p, "apsw"))}),
        taking_turns("T4 catch-up events/s (decoded rows)", r, {
            "ironstar": fixed(mine, lambda p: ours.read_rows(p, decode=True)),
            "eventsourcing": fixed(theirs, lambda p: es.read_all(p, decode=True)),
            "ironstar_envelopes": fixed(mine, lambda p: ours.read_all(p, decode=True))}),
        taking_turns(f"T5 rebuild {n:,} events, events/s (apply_rows)", r, {
            "ironstar": fixed(mine, ours.rebuild),
            "eventsourcing": fixed(theirs, es.rebuild),
            "ironstar_envelopes": fixed(mine, lambda p: ours.rebuild(p, envelopes=True))}),
        taking_turns("T6 loads/s (100-event stream)", r, {
            "ironstar": fixed(mine, lambda p: ours.loads(p, 2000)),
            "eventsourcing": fixed(theirs, lambda p: es.loads(p, 2000)),
            "raw_sqlite3": fixed(mine, lambda p: raw.loads(p, 2000)),
            "raw_apsw": fixed(mine, lambda p: raw.loads(p, 2000, "apsw"))}),
        {"workload": "T9 upcaster overhead (decoded rows, 1 step adds a field; CPU time)",
         "current_events_per_s": t9["current"],
         **{f"{kind}_events_per_s": t9[kind] for kind in ("fields", "typed", "function")},
         **{f"{kind}_overhead_pct": round((t9["current"] / t9[kind] - 1) * 100, 1)
            for kind in ("fields", "typed", "function")}},
    ]  # fmt: skip


def taking_turns(name: str, repeats: int, runs: dict[str, Run]) -> dict[str, object]:
    """A row whose runs take turns (`*_envelopes`: the same workload through envelopes)."""
    rates = interleaved(repeats, runs)
    result: dict[str, object] = {"workload": name, **rates}
    if "eventsourcing" in rates:
        result["vs_es"] = round(rates["ironstar"] / rates["eventsourcing"], 2)
    print(json.dumps(result), file=sys.stderr)
    return result


def interleaved(repeats: int, runs: dict[str, Run]) -> dict[str, float]:
    """Median rate of each run, taking turns (a, b, c, a, b, c, ...)."""
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            rates[name].append(median_rate(run, 1))
    return {name: statistics.median(values) for name, values in rates.items()}


if __name__ == "__main__":
    main()
