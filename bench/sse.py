"""Live stream benchmarks: Ironstar vs a naive Starlette + datastar-py app, side by side.

    .venv/bin/python bench/sse.py --json [--quick]

Each server runs in its own process: `ironstar serve`; `bench/_sse_ref.py`, a naive
Starlette + datastar-py app; Stario 5.1.1 (`bench/_sse_stario.py`, in its own venv); and
`_sse_ref.py --floor`, a bare ASGI app that only holds streams and writes each change
straight to them (uvicorn's own floor). uvicorn runs on uvloop + httptools. This process
is the load generator (raw asyncio protocols on uvloop, see `_sse_client.py`).
`--servers` and `--workloads` pick a subset; `BENCH_SRC` / `BENCH_BASE_SRC` run
`ironstar` / `ironstar_base` from another copy of `src/` for A/B runs. Workloads:

1. latency: 100 subscribers on one session's `/api/todos`; an open-loop generator:
   adds planned at a fixed 200/s for 5 s, each sent at its planned time over a pool of 8
   keep-alive connections (never skipped; when all 8 are busy it waits for one and its
   times still count from the planned time, so queueing shows); after every 10 adds a
   toggle-all and a clear-completed in slots of their own keep the list short (240
   commands/s in all). Latency: planned send -> each subscriber reading the patch with
   the add's text; `post_*_ms`: planned send -> answer (`post_wire_*`: written ->
   answer); `*_waiting_for_cpu`: the share of the run the server / this process were
   ready to run but had no core (a shared box's noise, in numbers).
2. fan_out: 5,000 subscribers on one session; time from one POST to the last of them
   reading the patch. Median of several commands.
3. memory: server RSS per idle stream (2,000 streams), and RSS after each of 6 cycles
   of 2,000 connects + disconnects.
4. compression (Ironstar only): 100 items toggled one at a time, 100 patches, bytes
   on the wire for `zstd`, `br`, `gzip` and identity streams.
5. memory_zstd, fan_out_zstd (Ironstar only): the same with `Accept-Encoding: zstd`, as
   Chromium and Firefox open their streams (memory on a fresh server of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
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
WORKLOADS = ("memory", "latency", "fan_out", "compression", "memory_zstd", "fan_out_zstd")


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


class OpenLoop:
    """Commands at planned times over a few keep-alive connections, never skipping one.

    A command whose connection is not free yet waits for one, and its times still count
    from its planned send time: a slow server shows up as latency, not as fewer commands
    (no coordinated omission).
    """

    def __init__(self, cookie: str, pool: asyncio.Queue[Client]) -> None:
        self.cookie = cookie
        self.pool = pool
        self.posts: list[float] = []  # planned send -> answer read
        self.wire: list[float] = []  # written -> answer read: the server's own share
        self.late: list[float] = []  # planned send -> written: waiting for a connection
        self.errors: list[int] = []
        self.answered = 0.0  # when the last answer came
        self.commands = 0

    async def post(
        self,
        path: str,
        body: bytes,
        planned: float,
        *,
        timed: bool = True,
        on_write: Callable[[], object] | None = None,
    ) -> None:
        """POST at `planned`; `timed`: count it in the POST statistics."""
        client = await self.pool.get()
        try:
            if on_write is not None:
                on_write()
            written = time.perf_counter()
            client.send("POST", path, self.cookie, body)
            status, _, _ = await client.response()
        finally:
            self.pool.put_nowait(client)
        self.answered = now = time.perf_counter()
        self.commands += 1
        if status != 200:
            self.errors.append(status)
        if not timed:
            return
        self.posts.append(now - planned)
        self.wire.append(now - written)
        self.late.append(written - planned)


async def sleep_until(moment: float) -> None:
    delay = moment - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)


def cpu_seconds(proc: psutil.Process) -> list[float]:
    """CPU time used so far by the server process and by this one (the generator), and
    the time each spent ready to run but waiting for a core (Linux schedstat, all their
    threads): on a shared box, waits that no code change can remove."""
    server = proc.cpu_times()
    here = resource.getrusage(resource.RUSAGE_SELF)
    return [
        server.user + server.system,
        here.ru_utime + here.ru_stime,
        run_queue_seconds(proc.pid),
        run_queue_seconds(os.getpid()),
    ]


def run_queue_seconds(pid: int) -> float:
    total = 0
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


async def latency(  # noqa: PLR0917 - one workload, its knobs side by side
    port: int,
    proc: psutil.Process,
    seconds: float,
    rate: int,
    subscribers: int,
    connections: int = 8,
) -> dict[str, float]:
    """Adds at `rate`/s on a fixed schedule (open loop) plus the commands that keep the
    list short: after every 10 adds a toggle-all, then a clear-completed, each in a
    slot of its own, so `rate` adds/s are `1.2 * rate` commands/s."""
    cookie = await new_session(port)
    tracker = Tracker()
    subs = await subscribe(port, cookie, subscribers, tracker=tracker)
    pool: asyncio.Queue[Client] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Client.open(port))
    loop = OpenLoop(cookie, pool)
    slot = 1 / (rate * 1.2)  # 12 slots per cycle: 10 adds, toggle-all, clear-completed
    cycles = round(seconds * rate / 10)

    async def add(seq: int, planned: float) -> None:
        marker = f"q{seq:07d}z".encode()
        body = json.dumps({"input": marker.decode()}).encode()
        # Subscribers look for it once it is written; its latency counts from `planned`.
        await loop.post(
            "/api/todos", body, planned, on_write=partial(tracker.send, marker, planned)
        )

    async def housekeeping(toggle: float, clear: float) -> None:
        # Keeps the list at about 10 items, on the schedule like the adds (a clear that
        # waited for slow subscribers would let the list, and every patch, grow). The clear
        # follows the toggle's answer, so the adds since were not marked and stay.
        await loop.post("/api/todos/toggle-all", b'{"completed":true}', toggle, timed=False)
        await sleep_until(clear)
        await loop.post("/api/todos/clear-completed", b"{}", clear, timed=False)

    cpu_before = cpu_seconds(proc)
    start = time.perf_counter() + 0.05
    tasks: list[asyncio.Task[None]] = []
    keepers: list[asyncio.Task[None]] = []
    for cycle in range(cycles):
        first = start + cycle * 12 * slot
        for n in range(10):
            await sleep_until(first + n * slot)
            tasks.append(asyncio.create_task(add(len(tasks), first + n * slot)))
        await sleep_until(first + 10 * slot)
        keepers.append(asyncio.create_task(housekeeping(first + 10 * slot, first + 11 * slot)))
    await asyncio.gather(*tasks, *keepers)
    total = len(tasks)
    await tracker.wait(len(tracker.sent) - 1, subscribers, 10)
    took = loop.answered - start
    cpu = [after - before for after, before in zip(cpu_seconds(proc), cpu_before, strict=True)]
    busy = time.perf_counter() - start
    await asyncio.sleep(0.5)
    close_all(subs)
    while not pool.empty():
        pool.get_nowait().close()
    lat = [x for got in tracker.arrivals for x in got]
    return {
        "p50_ms": pct(lat, 0.5) * 1e3,
        "p99_ms": pct(lat, 0.99) * 1e3,
        "max_ms": max(lat) * 1e3,
        "adds_per_s": total / took,
        "commands_per_s": loop.commands / took,
        "missed": total * subscribers - len(lat),
        "errors": len(loop.errors),
        "post_p50_ms": pct(loop.posts, 0.5) * 1e3,
        "post_p99_ms": pct(loop.posts, 0.99) * 1e3,
        "post_wire_p50_ms": pct(loop.wire, 0.5) * 1e3,
        "post_wire_p99_ms": pct(loop.wire, 0.99) * 1e3,
        "post_late_p99_ms": pct(loop.late, 0.99) * 1e3,
        # Share of one core each process used while the run lasted, and the share of
        # the run each spent waiting for a core (other processes on the box included).
        "server_cpu": cpu[0] / busy,
        "generator_cpu": cpu[1] / busy,
        "server_waiting_for_cpu": cpu[2] / busy,
        "server_cpu_ms_per_command": cpu[0] / loop.commands * 1e3,
        "generator_waiting_for_cpu": cpu[3] / busy,
    }


async def fan_out(
    port: int, subscribers: int, rounds: int, encoding: str = "identity"
) -> dict[str, object]:
    cookie = await new_session(port)
    tracker = Tracker()
    connect = time.perf_counter()
    subs = await subscribe(port, cookie, subscribers, encoding=encoding, tracker=tracker)
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


async def memory(
    port: int, proc: psutil.Process, streams: int, cycles: int, encoding: str = "identity"
) -> dict[str, object]:
    cookie = await new_session(port)

    def rss() -> int:
        value: int = proc.memory_info().rss
        return value

    close_all(await subscribe(port, cookie, 200, encoding=encoding))  # warm-up: first use
    await asyncio.sleep(1)
    before = rss()
    opened: list[int] = []
    after_cycle: list[int] = []
    for _ in range(cycles):
        subs = await subscribe(port, cookie, streams, encoding=encoding)
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
    encodings = ["identity", "gzip", "br", "zstd"]
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
        "ratio_zstd": sent["identity"] / sent["zstd"],
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


async def run(kind: str, quick: bool, workloads: set[str], rate: int) -> dict[str, object]:
    out: dict[str, object] = {}
    if kind == "floor":  # a bare ASGI app that holds streams and broadcasts each POST
        workloads = workloads & {"memory", "latency", "fan_out"}
    with tempfile.TemporaryDirectory() as tmp, server(kind, Path(tmp)) as (port, proc):
        # Memory first, on a fresh server: after 5,000 streams the heap only shrinks.
        if "memory" in workloads:
            out["memory"] = await memory(port, proc, 500 if quick else 2000, 3 if quick else 6)
        repeats = 1 if quick else 3
        if "latency" in workloads:
            out["latency"] = median_of(
                [await latency(port, proc, 2 if quick else 5, rate, 100) for _ in range(repeats)]
            )
        if "fan_out" in workloads:
            out["fan_out"] = await fan_out(port, 1000 if quick else 5000, 3 if quick else 7)
        if kind.startswith("ironstar") and "compression" in workloads:
            out["compression"] = await compression(port, 100, 100)
        if kind.startswith("ironstar") and "fan_out_zstd" in workloads:
            subscribers, rounds = (1000, 3) if quick else (5000, 7)
            out["fan_out_zstd"] = await fan_out(port, subscribers, rounds, "zstd")
    if kind.startswith("ironstar") and "memory_zstd" in workloads:
        # On a fresh server of its own: streams as browsers open them (zstd), idle after
        # their first patch.
        with tempfile.TemporaryDirectory() as tmp, server(kind, Path(tmp)) as (port, proc):
            out["memory_zstd"] = await memory(port, proc, 500 if quick else 2000, 1, "zstd")
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


async def main_async(
    quick: bool, servers: list[str], workloads: set[str], rate: int
) -> dict[str, object]:
    result: dict[str, object] = {"quick": quick, "latency_adds_per_s_offered": rate}
    stario_ok = STARIO_PYTHON.exists()  # noqa: ASYNC240  # once, before any server starts
    for kind in servers:
        if kind == "stario" and not stario_ok:
            result[kind] = {"skipped": f"no {STARIO_PYTHON} (see bench/README.md)"}
            continue
        result[kind] = await run(kind, quick, workloads, rate)
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
    parser.add_argument("--rate", type=int, default=200, help="latency: adds per second")
    args = parser.parse_args()
    servers = [s for s in args.servers.split(",") if s]
    workloads = {w for w in args.workloads.split(",") if w}
    if unknown := (set(servers) - set(SERVERS)) | (workloads - set(WORKLOADS)):
        parser.error(f"unknown: {sorted(unknown)}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    result = uvloop.run(main_async(args.quick, servers, workloads, args.rate))
    print(json.dumps(result, indent=2 if not args.json else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
