"""Event streams at the ASGI level: push delivery, slow clients, heartbeats, endings."""

from __future__ import annotations

import asyncio
import gc
import zlib
from collections.abc import AsyncIterator, Callable

import pytest
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ironstar.web.streams import (
    HEARTBEAT,
    EventStream,
    SharedView,
    Sink,
    StreamHub,
    StreamingStarlette,
)
from ironstar.web.topics import Topics


class Client:
    """One ASGI connection: records what the app sends; `leave()` disconnects."""

    def __init__(self, encoding: str = "identity") -> None:
        self.scope: Scope = {
            "type": "http",
            "method": "GET",
            "path": "/stream",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"accept-encoding", encoding.encode())],
        }
        self.messages: list[Message] = []
        self.gone = asyncio.Event()
        self.paused: asyncio.Future[None] | None = None  # set: the socket is full
        self.broken = False  # True: writes fail as on a reset connection

    async def receive(self) -> Message:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.broken:
            raise OSError("connection reset")
        if self.paused is not None and message["type"] == "http.response.body":
            await self.paused
        self.messages.append(message)

    def leave(self) -> None:
        self.gone.set()

    @property
    def bodies(self) -> list[bytes]:
        return [m["body"] for m in self.messages if m["type"] == "http.response.body"]

    @property
    def ended(self) -> bool:
        return bool(self.messages) and self.messages[-1].get("more_body") is False


class Views:
    """A producer whose view changes when told to."""

    def __init__(self) -> None:
        self.version = 0
        self.changed = asyncio.Event()

    async def __call__(self) -> AsyncIterator[str]:
        while True:
            self.version += 1
            yield f"data: view {self.version}\n\n"
            await self.changed.wait()
            self.changed.clear()

    def change(self) -> None:
        self.changed.set()


async def until(condition: Callable[[], object]) -> None:
    async def poll() -> None:
        # The conditions span many objects; a short poll keeps the fakes simple.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.001)

    await asyncio.wait_for(poll(), 2)


def open_stream(app: ASGIApp | EventStream, client: Client) -> asyncio.Task[None]:
    """Serve `app` (or an app whose one route answers this stream) to `client`."""
    if isinstance(app, EventStream):
        app = streaming_app(app, [])

    async def serve() -> None:
        await app(client.scope, client.receive, client.send)

    return asyncio.create_task(serve())


async def test_a_change_reaches_every_stream_of_a_shared_view() -> None:
    hub, topics, views = StreamHub(), Topics(), Views()
    view = SharedView(topics, "k", views)
    clients = [Client() for _ in range(50)]
    tasks = [open_stream(EventStream(view, hub), c) for c in clients]
    await until(lambda: all(len(c.bodies) == 1 for c in clients))
    assert hub.open_streams == 50
    views.change()
    await until(lambda: all(len(c.bodies) == 2 for c in clients))
    assert {tuple(c.bodies) for c in clients} == {(b"data: view 1\n\n", b"data: view 2\n\n")}
    for client in clients:
        client.leave()
    await asyncio.gather(*tasks)
    assert all(c.ended for c in clients)
    assert hub.open_streams == 0
    assert len(topics) == 0


async def test_a_slow_client_gets_the_latest_view_and_never_holds_up_the_others() -> None:
    hub, topics, views = StreamHub(), Topics(), Views()
    view = SharedView(topics, "k", views)
    slow, fast = Client(), Client()
    tasks = [open_stream(EventStream(view, hub), c) for c in (slow, fast)]
    await until(lambda: slow.bodies and fast.bodies)
    slow.paused = asyncio.get_running_loop().create_future()
    for n in (2, 3, 4):  # view 2 sticks in slow's socket; 3 waits; 4 replaces 3
        views.change()
        want = f"data: view {n}\n\n".encode()
        await until(lambda want=want: fast.bodies[-1] == want)  # type: ignore[misc]
    assert len(fast.bodies) == 4
    assert len(slow.bodies) == 1
    slow.paused.set_result(None)
    await until(lambda: len(slow.bodies) == 3)
    assert slow.bodies == [b"data: view 1\n\n", b"data: view 2\n\n", b"data: view 4\n\n"]
    for client in (slow, fast):
        client.leave()
    await asyncio.gather(*tasks)


async def test_an_iterator_stream_sends_its_own_events_in_order_and_ends_with_them() -> None:
    hub, client = StreamHub(), Client()

    async def events() -> AsyncIterator[str]:
        for n in range(3):
            yield f"id: {n}\ndata: x\n\n"

    await asyncio.wait_for(open_stream(EventStream(events, hub), client), 2)
    assert client.bodies == [
        b"id: 0\ndata: x\n\n",
        b"id: 1\ndata: x\n\n",
        b"id: 2\ndata: x\n\n",
        b"",
    ]
    assert client.ended
    assert hub.open_streams == 0


async def test_idle_streams_get_heartbeats() -> None:
    hub, topics, client = StreamHub(heartbeat_seconds=0.02), Topics(), Client()
    task = open_stream(EventStream(SharedView(topics, "k", Views()), hub), client)
    await until(lambda: HEARTBEAT in client.bodies)
    assert client.bodies[0] == b"data: view 1\n\n"
    client.leave()
    await task


async def test_shutdown_ends_every_stream_and_completes_compressed_ones() -> None:
    hub, topics = StreamHub(), Topics()
    plain, gzipped = Client(), Client("gzip")
    view = SharedView(topics, "k", Views())
    tasks = [open_stream(EventStream(view, hub), c) for c in (plain, gzipped)]
    await until(lambda: plain.bodies and gzipped.bodies)
    hub.shutdown.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 2)
    assert plain.ended
    assert gzipped.ended
    decoded = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert decoded.decompress(b"".join(gzipped.bodies)) == b"data: view 1\n\n"
    assert decoded.eof  # the gzip trailer was sent
    assert hub.open_streams == 0
    assert len(topics) == 0


async def test_a_client_that_cannot_be_written_to_ends_its_stream() -> None:
    hub, topics, views = StreamHub(), Topics(), Views()
    broken, fine = Client(), Client()
    view = SharedView(topics, "k", views)
    tasks = [open_stream(EventStream(view, hub), c) for c in (broken, fine)]
    await until(lambda: broken.bodies and fine.bodies)

    broken.broken = True
    views.change()
    await until(lambda: len(fine.bodies) == 2)
    await asyncio.wait_for(tasks[0], 2)  # ended by the failed write, not by a disconnect
    assert hub.open_streams == 1
    fine.leave()
    await tasks[1]


def streaming_app(stream: EventStream, seen: list[str]) -> StreamingStarlette:
    """An app whose one route answers `stream`, behind a middleware that adds a header."""

    class Decorating:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def add_header(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"].append((b"x-seen", b"1"))
                else:
                    seen.append("the stack's send used for the body")
                await send(message)

            await self.app(scope, receive, add_header)
            seen.append("stack returned")

    async def endpoint(request: Request) -> Response:
        return stream

    return StreamingStarlette(
        routes=[Route("/stream", endpoint)], middleware=[Middleware(Decorating)]
    )


async def test_a_stream_outside_a_streaming_starlette_is_refused() -> None:
    stream, client = EventStream(SharedView(Topics(), "k", Views()), StreamHub()), Client()
    with pytest.raises(RuntimeError, match="StreamingStarlette"):
        await stream(client.scope, client.receive, client.send)


async def test_the_stack_returns_before_the_stream_runs_and_its_headers_stay() -> None:
    hub, topics, client, seen = StreamHub(), Topics(), Client(), list[str]()
    app = streaming_app(EventStream(SharedView(topics, "k", Views()), hub), seen)
    task = open_stream(app, client)
    await until(lambda: client.bodies)
    assert seen == ["stack returned"]
    assert (b"x-seen", b"1") in client.messages[0]["headers"]
    client.leave()
    await task
    assert client.ended
    assert seen == ["stack returned"]


async def test_a_held_stream_keeps_only_what_the_server_put_in_its_scope() -> None:
    """What the stack added (route, endpoint, path params, session state...) is let go."""
    hub, topics, client = StreamHub(), Topics(), Client()
    client.scope["state"] = {"session": object()}
    server_keys = set(client.scope) - {"state"}
    app = streaming_app(EventStream(SharedView(topics, "k", Views()), hub), [])
    task = open_stream(app, client)
    await until(lambda: client.bodies)
    assert set(client.scope) == server_keys
    client.leave()
    await task


async def test_a_closed_stream_leaves_no_garbage_cycle_behind() -> None:
    """Thousands of streams come and go: each must be freed by reference counting alone."""
    hub, topics, client = StreamHub(), Topics(), Client()
    app = streaming_app(EventStream(SharedView(topics, "k", Views()), hub), [])
    gc.collect()
    gc.disable()
    try:
        task = open_stream(app, client)
        await until(lambda: client.bodies)
        client.leave()
        await task
        del task
        assert not [o for o in gc.get_objects() if isinstance(o, Sink)]
    finally:
        gc.enable()
