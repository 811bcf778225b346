"""Helpers for the event log tests: a tiny SSE reader and todo commands over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx

from ironstar.kernel import NewEvent, uuid7
from tests.conftest import LiveServer

DS = {"datastar-request": "true"}
TIMEOUT = httpx.Timeout(10, read=5)


@dataclass
class Sse:
    event: str = ""
    id: str = ""
    data: list[str] = field(default_factory=list)

    def field(self, name: str) -> str | None:
        prefix = f"{name} "
        return next((d.removeprefix(prefix) for d in self.data if d.startswith(prefix)), None)

    @property
    def elements(self) -> str:
        lines = (d.removeprefix("elements ") for d in self.data if d.startswith("elements "))
        return "\n".join(lines)


def parse(lines: Iterator[str]) -> Iterator[Sse]:
    current = Sse()
    for line in lines:
        if not line:
            if current.event:
                yield current
            current = Sse()
        elif line.startswith(":"):
            continue  # heartbeat
        else:
            name, _, value = line.partition(": ")
            if name == "data":
                current.data.append(value)
            elif name in ("event", "id"):
                setattr(current, name, value)


def read_events(
    client: httpx.Client,
    count: int,
    *,
    headers: dict[str, str] | None = None,
    signals: dict[str, object] | None = None,
    quiet: float | None = None,
) -> list[Sse]:
    """Read `count` events from `GET /api/events`; with `quiet`, then check that no other
    event arrives within that many seconds."""
    params = {"datastar": json.dumps(signals)} if signals is not None else None
    seen: list[Sse] = []
    timeout = httpx.Timeout(10, read=quiet) if quiet else TIMEOUT
    with client.stream(
        "GET", "/api/events", params=params, headers=headers or {}, timeout=timeout
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"] == "text/event-stream"
        events = parse(response.iter_lines())
        try:
            while len(seen) < count or quiet:
                seen.append(next(events))
        except httpx.ReadTimeout:
            if len(seen) < count:
                raise
    return seen


def position(client: httpx.Client) -> int:
    value: int = client.get("/healthz").json()["position"]
    return value


def add(client: httpx.Client, text: str) -> int:
    """Add a todo; return the position of its event."""
    assert client.post("/api/todos", json={"input": text}, headers=DS).is_success
    return position(client)


def todo_ids(client: httpx.Client) -> list[str]:
    html = client.get("/").text
    return [part.split('"', 1)[0] for part in html.split('data-id="')[1:]]


def append_other(live: LiveServer, aggregate_type: str = "probe", text: str = "x") -> int:
    """Append one event of another aggregate type straight to the store (on the server's
    loop), then wake the bus as the command handler would; return its position."""
    services = live.app.state.services
    loop: asyncio.AbstractEventLoop = live.app.state.loop
    event = NewEvent(
        event_id=uuid7(),
        event_type="Probed",
        event_version=1,
        payload=json.dumps({"text": text}).encode(),
    )

    async def append() -> int:
        stored = await services.store.append(aggregate_type, uuid7(), 0, [event])
        services.bus.publish(stored[-1].position)
        return int(stored[-1].position)

    return asyncio.run_coroutine_threadsafe(append(), loop).result(timeout=10)
