"""Long-lived SSE responses: push delivery, compression, heartbeats, disconnects, shutdown.

Each open stream has a `Sink`: its connection's `send`, its compressor, and at most one
write in flight. A shared view (`Topic`) pushes a new rendering into every sink itself; a
write is an eager task that finishes at once unless the client's socket is full, so a
change reaches thousands of streams without waking thousands of tasks. A sink whose
client is slow keeps only the latest chunk (views are whole-region snapshots), so it
never delays the others and never queues. Per-connection streams (the event log tail)
keep an async iterator, pumped by one task that waits for each write.

The request's own task only waits for the disconnect; one hub task sends heartbeats to
idle streams and ends them all on shutdown. With `StreamMiddleware` outermost, a stream
leaves the middleware stack once its headers are out (middleware saw and decorated
`http.response.start`), which frees the stack's frames and shortens every later write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ironstar.web.compression import StreamCompressor, negotiate

if TYPE_CHECKING:
    from ironstar.web.topics import Producer, Topics

log = structlog.get_logger(__name__)
HEARTBEAT = b": keep-alive\n\n"
DETACH = "ironstar.detach"  # scope key: where a stream leaves its continuation
FINISH_SECONDS = 1.0  # how long a stream's last write may take on shutdown

type Hold = Callable[[Receive, Send], Awaitable[None]]


class Sink:
    """One open stream's connection: one write in flight at most, the latest chunk next."""

    __slots__ = (
        "_compressor",
        "_hub",
        "_loop",
        "_pending",
        "_send",
        "_task",
        "busy",
        "closed",
        "stopping",
        "task",
        "wrote",
    )

    def __init__(
        self,
        send: Send,
        compressor: StreamCompressor | None,
        hub: StreamHub,
        task: asyncio.Task[object],
    ) -> None:
        self._send = send
        self._compressor = compressor  # None: identity, every sink sends the shared bytes
        self._hub = hub
        self._loop = task.get_loop()
        self._pending: bytes | None = None
        self._task: asyncio.Task[None] | None = None  # a write waiting for the socket
        self.task = task  # the request's task, which holds the stream open
        self.busy = False
        self.closed = False
        self.stopping = False  # we, not the server, asked the stream to end
        self.wrote = False  # since the last heartbeat tick

    def write(self, chunk: bytes) -> None:
        """Send `chunk` now; if a write is still in flight, after it, replacing any waiting."""
        if self.closed:
            return
        if self.busy:
            self._pending = chunk
            return
        self.busy = True
        # Eager: runs to completion right here unless the transport is paused, so a
        # write to a fast client schedules nothing on the loop.
        task = asyncio.Task(self._drain(chunk), loop=self._loop, eager_start=True)
        if not task.done():
            self._task = task

    async def send(self, chunk: bytes) -> None:
        """Write and wait until it is on its way: iterator streams go at their client's pace."""
        await self._idle()
        self.write(chunk)
        await self._idle()

    async def _idle(self) -> None:
        while (task := self._task) is not None:
            await task

    async def _drain(self, chunk: bytes | None) -> None:
        try:
            while chunk is not None and not self.closed:
                body = chunk if self._compressor is None else self._compressor.compress(chunk)
                await self._send({"type": "http.response.body", "body": body, "more_body": True})
                self._hub.bytes_sent += len(body)
                chunk, self._pending = self._pending, None
        except Exception:  # the client went away mid-write: end the stream
            self.stop()
        finally:
            self.busy = False
            self.wrote = True
            self._task = None

    def stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            self.task.cancel()

    async def finish(self) -> None:
        """Close the compressed stream (decoders want it whole) and end the response."""
        self.closed = True
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=FINISH_SECONDS)
            if not done:  # a stuck client: let the server drop the connection
                self._task.cancel()
                return
        tail = b"" if self._compressor is None else self._compressor.finish()
        with contextlib.suppress(Exception):
            await self._send({"type": "http.response.body", "body": tail, "more_body": False})


@dataclass
class StreamHub:
    """Process-wide stream bookkeeping: open streams, heartbeats and the shutdown signal."""

    heartbeat_seconds: float = 15.0
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)
    bytes_sent: int = 0
    _open: set[Sink] = field(default_factory=set)
    _ticker: asyncio.Task[None] | None = None

    @property
    def open_streams(self) -> int:
        return len(self._open)

    def _register(self, sink: Sink) -> None:
        self._open.add(sink)
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick())
        if self.shutdown.is_set():
            sink.stop()

    def _unregister(self, sink: Sink) -> None:
        self._open.discard(sink)

    async def _tick(self) -> None:
        """Heartbeat every stream that sent nothing for a while; end them all on shutdown.

        Ticks come at half the heartbeat interval and a stream gets a heartbeat when it
        wrote nothing since the last tick, so no stream stays silent much longer than
        `heartbeat_seconds`. Runs while streams are open.
        """
        while self._open:
            try:
                async with asyncio.timeout(self.heartbeat_seconds / 2):
                    await self.shutdown.wait()
            except TimeoutError:
                for sink in list(self._open):
                    if not sink.wrote and not sink.busy:
                        sink.write(HEARTBEAT)
                    sink.wrote = False
                continue
            for sink in list(self._open):
                sink.stop()
            return


@dataclass(frozen=True, slots=True)
class SharedView:
    """A `Topic` to join: every stream showing it gets the same bytes per change."""

    topics: Topics
    key: Hashable
    producer: Producer


class EventStream(Response):
    """An ASGI response streaming `text/event-stream` until the client or the server leaves.

    Its events come either from a shared view (pushed) or from its own async iterator.
    """

    def __init__(
        self,
        events: Callable[[], AsyncIterator[str | bytes]] | SharedView,
        hub: StreamHub,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        # Response's own init is skipped: this class writes its headers itself.
        self._events = events
        self._hub = hub
        self._extra_headers = headers or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = dict(scope["headers"]).get(b"accept-encoding", b"").decode("latin-1")
        compressor = negotiate(accept)
        headers = {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "x-accel-buffering": "no",
            "vary": "Accept-Encoding",
            **self._extra_headers,
        }
        if compressor.encoding != "identity":
            headers["content-encoding"] = compressor.encoding
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
        codec = None if compressor.encoding == "identity" else compressor

        async def hold(receive: Receive, send: Send) -> None:
            await self._hold(receive, send, codec)

        detached: list[Hold] | None = scope.get(DETACH)
        if detached is not None:
            detached.append(hold)  # StreamMiddleware runs it once the stack has unwound
        else:
            await hold(receive, send)

    async def _hold(self, receive: Receive, send: Send, codec: StreamCompressor | None) -> None:
        task = asyncio.current_task()
        assert task is not None
        sink = Sink(send, codec, self._hub, task)
        events = self._events
        pump: asyncio.Task[None] | None = None
        self._hub._register(sink)
        try:
            if isinstance(events, SharedView):
                events.topics.join(events.key, events.producer, sink)
            else:
                pump = asyncio.create_task(_pump(events, sink))
            while (await receive())["type"] != "http.disconnect":
                pass
        except asyncio.CancelledError:
            if not sink.stopping:
                raise  # the server cancelled us: let it
            task.uncancel()
        finally:
            self._hub._unregister(sink)
            if isinstance(events, SharedView):
                events.topics.leave(events.key, sink)
            if pump is not None:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump
        await sink.finish()


async def _pump(events: Callable[[], AsyncIterator[str | bytes]], sink: Sink) -> None:
    """Write a per-connection stream's events as its client takes them; end it with them."""
    try:
        async for event in events():
            await sink.send(event if isinstance(event, bytes) else event.encode())
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("stream producer failed")
    sink.stop()


class StreamMiddleware:
    """Outermost middleware: runs streams after the rest of the stack has returned.

    Every other middleware sees a stream's `http.response.start` (security headers, the
    session cookie) as usual; the body then goes straight to the server's `send`. So a
    middleware that must see or change body chunks does not work on streams: put it
    outside this one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Hold] = []
        scope[DETACH] = held  # a list, so a middleware that copies the scope still shares it
        await self.app(scope, receive, send)
        for hold in held:
            await hold(receive, send)
