"""Live stream benchmarks: Ironstar vs a naive Starlette + datastar-py app, side by side.

    .venv/bin/python bench/sse.py --json [--quick]

Each server runs in its own process: `ironstar serve`; `bench/_sse_ref.py`, a naive
Starlette + datastar-py app; Stario 5.1.1 (`bench/_sse_stario.py`, in its own venv); and
`_sse_ref.py --floor`, a bare ASGI app that only holds streams and writes each change
straight to them (uvicorn's own floor). uvicorn runs on uvloop + httptools. This process
is the load generator (raw asyncio protocols on uvloop, see `_sse_client.py`).
`--servers` and `--workloads` pick a subset; `BENCH_SRC` / `BENCH_BASE_SRC` run
`ironstar` / `ironstar_base` from another copy of `src/` for A/B runs. Workloads:

1. latency: 100 subscribers on one session's `/api/todos`, adds posted at 200/s for
   5 s (after every 10 adds a toggle-all + clear-completed keeps the list short);
   time from writing the POST to each subscriber reading the patch with its text;
   `post_*_ms` is the POST's own round trip (the command path, commit included).
2. fan_out: 5,000 subscribers on one session; time from one POST to the last of them
   reading the patch. Median of several commands.
3. memory: server RSS per idle stream (2,000 streams), and RSS after each of 6 cycles
   of 2,000 connects + disconnects.
4. compression (Ironstar only): 100 items toggled one at a time, 100 patches, bytes
   on the wire for `br`, `gzip` and identity streams.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._sse_client import Client, Subscriber, Tracker, new_session, subscribe

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Stario needs its own venv (its dependencies are not Ironstar's); see bench/README.md.
STARIO_PYTHON = Path(os.environ.get("STARIO_PYTHON", "/tmp/stario-venv/bin/python"))
SERVERS = ("ironstar", "starlette_datastar", "stario", "floor", "ironstar_base")
WORKLOADS = ("memory", "latency", "fan_out", "compression")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server(kind: str, tmp: Path) -> Iterator[tuple[int, psutil.Process]]:
    port = free_port()
    env = {**os.environ, "IRONSTAR_COOKIE_SECURE": "0", "IRONSTAR_LOG_LEVEL": "warning"}
    if kind in ("ironstar", "ironstar_base"):
        cmd = [str(VENV_BIN / "ironstar"), "serve", "--port", str(port), "--data-dir", str(tmp)]
        # A/B: run another copy of src (e.g. `git archive <rev> src`) for either side.
        src = os.environ.get("BENCH_BASE_SRC" if kind == "ironstar_base" else "BENCH_SRC")
        if src:
            env["PYTHONPATH"] = src
    elif kind == "stario":
        cmd = [str(STARIO_PYTHON), str(ROOT / "bench" / "_sse_stario.py"), str(port)]
        env["STARIO_TRACER"] = "noop"  # no request logging, like the others
    elif kind == "floor":
        cmd = [sys.executable, str(ROOT / "bench" / "_sse_ref.py"), str(port), "--floor"]
    else:
        cmd = [sys.executable, str(ROOT / "bench" / "_sse_ref.py"), str(port)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{kind} did not start") from None
                time.sleep(0.1)
        yield port, psutil.Process(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def close_all(subs: list[Subscriber]) -> None:
    for sub in subs:
        sub.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def latency(port: int, seconds: float, rate: int, subscribers: int) -> dict[str, float]:
    cookie = await new_session(port)
    tracker = Tracker()
    subs = await subscribe(port, cookie, subscribers, tracker=tracker)
    # One connection: concurrent commands on one todo list conflict (optimistic
    # concurrency; with 8 in flight the bounded retries run out and Ironstar answers
    # 500), so commands go one after another.
    pool: asyncio.Queue[Client] = asyncio.Queue()
    for _ in range(1):
        pool.put_nowait(await Client.open(port))

    async def command(seq: int) -> None:
        client = await pool.get()
        try:
            marker = f"q{seq:07d}z".encode()
            body = json.dumps({"input": marker.decode()}).encode()
            client.send("POST", "/api/todos", cookie, body)
            tracker.send(marker)
            sent = time.perf_counter()
            status, _, _ = await client.response()
            answered.append(time.perf_counter() - sent)
            assert status == 200, status
            if seq % 10 == 9:
                await client.call("POST", "/api/todos/toggle-all", cookie, b'{"completed":true}')
                await client.call("POST", "/api/todos/clear-completed", cookie, b"{}")
        finally:
            pool.put_nowait(client)

    answered: list[float] = []  # POST round trips: the command path alone (commit included)

    # A tick that finds the connection still busy is skipped, not queued: the run lasts
    # `seconds` whatever the server manages, and `adds_per_s` says what it managed.
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    ticks = int(seconds * rate)
    for seq in range(ticks):
        delay = start + seq / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if pool.empty():
            continue
        tasks.append(asyncio.create_task(command(len(tasks))))
        await asyncio.sleep(0)  # let it take the connection
    await asyncio.gather(*tasks)
    sent_for = time.perf_counter() - start
    total = len(tasks)
    await tracker.wait(len(tracker.sent) - 1, subscribers, 10)
    await asyncio.sleep(0.5)
    close_all(subs)
    while not pool.empty():
        pool.get_nowait().close()
    lat = [x for got in tracker.arrivals for x in got]
    missing = total * subscribers - len(lat)
    return {
        "p50_ms": pct(lat, 0.5) * 1e3,
        "p99_ms": pct(lat, 0.99) * 1e3,
        "max_ms": max(lat) * 1e3,
        "adds_per_s": total / sent_for,
        "missed": missing,
        "post_p50_ms": pct(answered, 0.5) * 1e3,
        "post_p99_ms": pct(answered, 0.99) * 1e3,
    }


async def fan_out(port: int, subscribers: int, rounds: int) -> dict[str, object]:
    cookie = await new_session(port)
    tracker = Tracker()
    connect = time.perf_counter()
    subs = await subscribe(port, cookie, subscribers, tracker=tracker)
    connect = time.perf_counter() - connect
    gc.collect()
    gc.freeze()  # keep the generator's own GC passes over 5,000 protocols out of the timing
    client = await Client.open(port)
    lasts: list[float] = []
    medians: list[float] = []
    for n in range(rounds):
        await asyncio.sleep(0.5)
        marker = f"f{n:07d}z".encode()
        client.send("POST", "/api/todos", cookie, json.dumps({"input": marker.decode()}).encode())
        index = tracker.send(marker)
        await client.response()
        if not await tracker.wait(index, subscribers, 30):
            raise RuntimeError(f"only {len(tracker.arrivals[index])} of {subscribers} got it")
        got = tracker.arrivals[index]
        lasts.append(max(got) * 1e3)
        medians.append(statistics.median(got) * 1e3)
    client.close()
    close_all(subs)
    gc.unfreeze()
    await asyncio.sleep(1)
    return {
        "last_ms": statistics.median(lasts),
        "each_last_ms": [round(x, 1) for x in lasts],
        "median_subscriber_ms": statistics.median(medians),
        "connect_s": connect,
    }


async def memory(port: int, proc: psutil.Process, streams: int, cycles: int) -> dict[str, object]:
    cookie = await new_session(port)

    def rss() -> int:
        value: int = proc.memory_info().rss
        return value

    close_all(await subscribe(port, cookie, 200))  # warm-up: first-use allocations
    await asyncio.sleep(1)
    before = rss()
    opened: list[int] = []
    after_cycle: list[int] = []
    for _ in range(cycles):
        subs = await subscribe(port, cookie, streams)
        await asyncio.sleep(1)
        opened.append(rss())
        close_all(subs)
        await asyncio.sleep(1.5)
        after_cycle.append(rss())
    # Later cycles reuse the heap the first one grew, so only the first one is per-stream
    # cost; the later ones show whether closed streams give their memory back.
    return {
        "rss_before_mb": before / 2**20,
        "bytes_per_conn": (opened[0] - before) / streams,
        "rss_open_mb": [round(x / 2**20, 2) for x in opened],
        "rss_after_cycle_mb": [round(x / 2**20, 2) for x in after_cycle],
        "growth_after_first_cycle_kb": (after_cycle[-1] - after_cycle[0]) / 1024,
        # The same with the streams open: less at the mercy of what the allocator gave back.
        "growth_open_after_first_cycle_kb": (opened[-1] - opened[0]) / 1024,
    }


async def compression(port: int, items: int, patches: int) -> dict[str, object]:
    cookie = await new_session(port)
    client = await Client.open(port)
    for n in range(items):
        await client.call("POST", "/api/todos", cookie, json.dumps({"input": f"todo {n}"}).encode())
    _, _, page = await client.call("GET", "/", cookie)
    ids = re.findall(rb'id="todo-([0-9a-f-]{36})"', page)[:items]
    encodings = ["identity", "gzip", "br"]
    subs = {enc: (await subscribe(port, cookie, 1, encoding=enc))[0] for enc in encodings}
    start = {enc: (sub.wire_bytes, sub.patches) for enc, sub in subs.items()}
    for n in range(patches):
        todo = ids[n % len(ids)].decode()
        done = b'{"completed":%s}' % (b"true" if (n // len(ids)) % 2 == 0 else b"false")
        await client.call("POST", f"/api/todos/{todo}/toggle", cookie, done)
        deadline = time.monotonic() + 10
        while any(s.patches - start[e][1] < n + 1 for e, s in subs.items()):
            if time.monotonic() > deadline:
                got = {e: s.patches - start[e][1] for e, s in subs.items()}
                raise RuntimeError(f"patch {n} not received: {got}")
            await asyncio.sleep(0.001)
    client.close()
    sent = {enc: sub.wire_bytes - start[enc][0] for enc, sub in subs.items()}
    close_all(list(subs.values()))
    return {
        "items": len(ids),
        "patches": patches,
        "bytes": sent,
        "ratio_br": sent["identity"] / sent["br"],
        "ratio_gzip": sent["identity"] / sent["gzip"],
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


async def run(kind: str, quick: bool, workloads: set[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    if kind == "floor":  # a bare ASGI app that holds streams and broadcasts each POST
        workloads = workloads & {"memory", "fan_out"}
    with tempfile.TemporaryDirectory() as tmp, server(kind, Path(tmp)) as (port, proc):
        # Memory first, on a fresh server: after 5,000 streams the heap only shrinks.
        if "memory" in workloads:
            out["memory"] = await memory(port, proc, 500 if quick else 2000, 3 if quick else 6)
        repeats = 1 if quick else 3
        if "latency" in workloads:
            out["latency"] = median_of(
                [await latency(port, 2 if quick else 5, 200, 100) for _ in range(repeats)]
            )
        if "fan_out" in workloads:
            out["fan_out"] = await fan_out(port, 1000 if quick else 5000, 3 if quick else 7)
        if kind.startswith("ironstar") and "compression" in workloads:
            out["compression"] = await compression(port, 100, 100)
    return out


def ratios(ours: dict[str, object], ref: dict[str, object]) -> dict[str, float]:
    def get(result: dict[str, object], section: str, key: str) -> float:
        value = result[section]
        assert isinstance(value, dict)
        number: float = value[key]
        return number

    return {
        f"{section}.{key}": round(get(ref, section, key) / get(ours, section, key), 2)
        for section, key in [
            ("latency", "p99_ms"),
            ("fan_out", "last_ms"),
            ("memory", "bytes_per_conn"),
        ]
        if section in ours and section in ref
    }


async def main_async(quick: bool, servers: list[str], workloads: set[str]) -> dict[str, object]:
    result: dict[str, object] = {"quick": quick}
    stario_ok = STARIO_PYTHON.exists()  # noqa: ASYNC240  # once, before any server starts
    for kind in servers:
        if kind == "stario" and not stario_ok:
            result[kind] = {"skipped": f"no {STARIO_PYTHON} (see bench/README.md)"}
            continue
        result[kind] = await run(kind, quick, workloads)
    ours = result.get("ironstar")
    for kind in servers:
        theirs = result.get(kind)
        if kind != "ironstar" and isinstance(ours, dict) and isinstance(theirs, dict):
            result[f"{kind}_over_ironstar"] = ratios(ours, theirs)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--quick", action="store_true", help="fewer, smaller runs")
    parser.add_argument(
        "--servers",
        default="ironstar,starlette_datastar,stario,floor",
        help=f"comma-separated, in run order, from {','.join(SERVERS)}",
    )
    parser.add_argument(
        "--workloads", default=",".join(WORKLOADS), help="comma-separated subset to run"
    )
    args = parser.parse_args()
    servers = [s for s in args.servers.split(",") if s]
    workloads = {w for w in args.workloads.split(",") if w}
    if unknown := (set(servers) - set(SERVERS)) | (workloads - set(WORKLOADS)):
        parser.error(f"unknown: {sorted(unknown)}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    result = uvloop.run(main_async(args.quick, servers, workloads))
    print(json.dumps(result, indent=2 if not args.json else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
