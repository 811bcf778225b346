"""App start-up over a long log: the time until the server could answer, side by side
with the floor of any catch-up (reading the same rows).

    .venv/bin/python bench/startup.py --json [--quick] [--store PATH] [--repeats N]

The store holds todo-shaped events (`bench/analytics.py`'s generator: adds, completions
and renames over 2,000 lists, which grow to ~170 items at 1M events); `--store` reuses
a populated file. Each run starts a fresh process (a restart), builds the app on a data
directory whose store is that file, and times `create_app` plus the lifespan start-up,
which replays the whole log into the in-memory read models before serving. `floor` is a
process that only reads every row with `read_all_rows` in the runner's batches.
`BENCH_SRC` runs the app from another copy of `src/` (A/B against older code).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.analytics import populate

_APP = """
import asyncio, json, sys, time
from pathlib import Path
started = time.perf_counter()
from ironstar.app import create_app
from ironstar.settings import Settings

async def main():
    app = create_app(Settings(data_dir=Path(sys.argv[1]), log_level="warning"))
    async with app.router.lifespan_context(app):
        ready = time.perf_counter() - started
        print(json.dumps({"seconds": ready, "position": app.state.services.bus.position}))

asyncio.run(main())
"""

_FLOOR = """
import json, sys, time
from pathlib import Path
from ironstar.infra import SqliteEventStore
started = time.perf_counter()
store = SqliteEventStore(Path(sys.argv[1]) / "ironstar.sqlite3")
position = rows = 0
while batch := store.read_all_rows_sync(position, 1000):
    position, rows = batch[-1][0], rows + len(batch)
print(json.dumps({"seconds": time.perf_counter() - started, "position": position}))
"""


def run(code: str, data: Path) -> dict[str, float]:
    env = dict(os.environ)
    if src := os.environ.get("BENCH_SRC"):
        env["PYTHONPATH"] = src
    out = subprocess.run(
        [sys.executable, "-c", code, str(data)], env=env, check=True, capture_output=True
    )
    result: dict[str, float] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--store", type=Path, default=None, help="reuse (or create) this store")
    args = parser.parse_args()
    events = args.events or (100_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory() as tmp_name:
        data = Path(tmp_name)
        store = args.store or data / "source.sqlite3"
        if not store.exists():
            asyncio.run(populate(store, events))
        (data / "ironstar.sqlite3").symlink_to(store.resolve())
        app: list[float] = []
        floor: list[float] = []
        position = 0.0
        for _ in range(args.repeats):  # taking turns: a load swing hits both
            started = run(_APP, data)
            app.append(started["seconds"])
            position = started["position"]
            floor.append(run(_FLOOR, data)["seconds"])
    out = {
        "events": position,
        "repeats": args.repeats,
        "app_start_s": statistics.median(app),
        "app_start_runs_s": [round(x, 2) for x in app],
        "floor_read_rows_s": statistics.median(floor),
        "app_over_floor": round(statistics.median(app) / statistics.median(floor), 1),
        "events_per_s": position / statistics.median(app),
    }
    print(json.dumps(out, indent=2) if args.json else out)


if __name__ == "__main__":
    main()
