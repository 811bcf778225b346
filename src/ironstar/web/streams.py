"""Long-lived SSE responses: push delivery, compression, heartbeats, disconnects, shutdown.

Each open stream has a `Sink`: its connection's `send`, its compressor, and at most one
write in flight. A shared view (`Topic`) pushes a new rendering into every sink itself; a
write is an eager task that finishes at once unless the client's socket is full, so a
change reaches thousands of streams without waking thousands of tasks. A sink whose
client is slow keeps only the latest chunk (views are whole-region snapshots), so it
never delays the others and never queues. Per-connection streams (the event log tail)
keep an async iterator, pumped by one task that waits for each write.

The request's own task only waits for the disconnect; one hub task sends heartbeats to
idle streams and ends them all on shutdown. Under `StreamingStarlette` a stream leaves
the middleware stack once its headers are out (middleware saw and decorated
`http.response.start`), which frees the stack's frames and shortens every later write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ironstar.web.compression import StreamCompressor, ZstdFrames, negotiate

if TYPE_CHECKING:
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

    from ironstar.web.topics import Producer, Topic, Topics

log = structlog.get_logger(__name__)
HEARTBEAT = b": keep-alive\n\n"
DETACH = "ironstar.detach"  # scope key: where a response leaves its sink to be held
FINISH_SECONDS = 1.0  # how long a stream's last write may take on shutdown

type Events = Callable[[], AsyncIterator[str | bytes]] | SharedView


class Sink:
    """One open stream: its connection, one write in flight at most, the latest chunk next."""

    __slots__ = (
        "_compressor",
        "_cycle",
        "_events",
        "_hub",
        "_pending",
        "_send",
        "_source",
        "_task",
        "busy",
        "closed",
        "stopping",
        "task",
        "wrote",
    )
    _send: Send
    task: asyncio.Task[object]  # the request's task, which holds the stream open

    def __init__(self, events: Events, hub: StreamHub, compressor: StreamCompressor | None) -> None:
        self._events: Events | None = events
        self._source: Topic | asyncio.Task[None] | None = None  # where its events come from
        self._hub = hub
        self._compressor = compressor  # None: identity, every sink sends the shared bytes
        self._pending: bytes | None = None
        self._task: asyncio.Task[None] | None = None  # a write waiting for the socket
        self._cycle: RequestResponseCycle | None = None  # when writing to it directly
        self.busy = False
        self.closed = False
        self.stopping = False  # we, not the server, asked the stream to end
        self.wrote = False  # since the last heartbeat tick

    def start(self, send: Send) -> None:
        """Open the stream on the request's task: join its view or start its pump."""
        task = asyncio.current_task()
        assert task is not None
        self.task, self._send = task, send
        self._cycle = _direct(send)
        self._hub._register(self)
        events, self._events = self._events, None  # the request's description: free it
        if isinstance(events, SharedView):
            self._source = events.topics.join(events.key, events.producer, self)
        elif events is not None:
            self._source = asyncio.create_task(_pump(events, self))

    def leave(self) -> None:
        """The client left or the stream was stopped: no more events for it."""
        self._hub._unregister(self)
        source, self._source = self._source, None
        if isinstance(source, asyncio.Task):
            source.cancel()
        elif source is not None:
            source.leave(self)

    def write(self, chunk: bytes) -> None:
        """Send `chunk` now; if a write is still in flight, after it, replacing any waiting."""
        if self.closed:
            return
        if self.busy:
            self._pending = chunk
            return
        cycle = self._cycle
        if cycle is not None and not cycle.flow.write_paused and not cycle.disconnected:
            self._write_frame(cycle, chunk)
            return
        self.busy = True
        # Eager: runs to completion right here unless the transport is paused, so a
        # write to a fast client schedules nothing on the loop.
        loop = self.task.get_loop()  # not kept: every idle stream's 8 bytes count
        task = asyncio.Task(self._drain(chunk), loop=loop, eager_start=True)
        if not task.done():
            self._task = task

    def _write_frame(self, cycle: RequestResponseCycle, chunk: bytes) -> None:
        """What uvicorn's `send` would write for this body chunk, without its frames: one
        HTTP/1.1 chunk, framed once per change for all identity streams (`StreamHub`)."""
        hub = self._hub
        body = chunk if self._compressor is None else self._compressor.compress(chunk)
        if body:  # an empty chunk would end the response
            try:
                cycle.transport.write(hub.frame(body))
            except Exception:  # the transport is closing: end the stream
                self.stop()
                return
            hub.bytes_sent += len(body)
            hub.direct_writes += 1
        self.wrote = True

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
    direct_writes: int = 0  # chunks written to the transport without the server's `send`
    _open: set[Sink] = field(default_factory=set)
    _ticker: asyncio.Task[None] | None = None
    _framed: tuple[bytes, bytes] = (b"", b"")  # the last body and its HTTP/1.1 chunk
    # The frames every zstd stream sends: a change is compressed once (web/compression.py).
    zstd: ZstdFrames = field(default_factory=ZstdFrames)

    def frame(self, body: bytes) -> bytes:
        """`body` as one HTTP/1.1 chunk; a change's chunk is framed once for all streams."""
        last, framed = self._framed
        if body is not last:
            framed = b"%x\r\n%b\r\n" % (len(body), body)
            self._framed = (body, framed)
        return framed

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
        self, events: Events, hub: StreamHub, *, headers: dict[str, str] | None = None
    ) -> None:
        # Response's own init is skipped: this class writes its headers itself.
        self._events = events
        self._hub = hub
        self._extra_headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = dict(scope["headers"]).get(b"accept-encoding", b"").decode("latin-1")
        compressor = negotiate(accept, self._hub.zstd)
        headers = {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "x-accel-buffering": "no",
            "vary": "Accept-Encoding",
            **(self._extra_headers or {}),
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
        held: list[Sink] | None = scope.get(DETACH)
        if held is None:
            raise RuntimeError("EventStream needs the app to be a StreamingStarlette")
        held.append(Sink(self._events, self._hub, codec))  # held once the stack returned


def _httptools_cycle() -> type[RequestResponseCycle] | None:
    try:
        from uvicorn.protocols.http.httptools_impl import RequestResponseCycle
    except ImportError:  # pragma: no cover - uvicorn without httptools: every write is `send`
        return None
    return RequestResponseCycle


HTTPTOOLS_CYCLE = _httptools_cycle()


def _direct(send: Send) -> RequestResponseCycle | None:
    """uvicorn's httptools response behind `send`, if this stream may write to it directly.

    Its `send` turns each body message into one chunk written to the transport, checking
    flow control and disconnects first (0.54). For a chunked response that started, a
    held stream writes the same bytes itself, making the same checks, when nothing is in
    flight: ~3 us less per write (an ASGI message, two coroutine frames, a join). A
    paused or closed transport takes the `send` path (which waits for the drain), and the
    end of the response always does, so uvicorn's own state stays right.
    """
    cycle = getattr(send, "__self__", None)
    if (
        HTTPTOOLS_CYCLE is not None
        and isinstance(cycle, HTTPTOOLS_CYCLE)
        # getattr: a uvicorn whose cycle lost one of these (a later release) gets `send`
        and getattr(cycle, "chunked_encoding", None) is True  # not a HEAD, no content-length
        and getattr(cycle, "response_started", False) is True
        and getattr(cycle, "response_complete", True) is False
        and hasattr(cycle, "flow")
        and hasattr(cycle, "transport")
        and hasattr(cycle, "disconnected")
    ):
        return cycle
    return None


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


class StreamingStarlette(Starlette):
    """Starlette that holds its event streams outside its whole stack.

    Everything inside (error handling, security headers, the session cookie) sees a
    stream's `http.response.start` as usual; once the stack has returned, freeing its
    frames, the stream's body goes straight to the server's `send`. So a middleware that
    must see or change body chunks does not work on streams.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        server_keys = scope.keys() - {"state"}
        held: list[Sink] = []
        scope[DETACH] = held  # a list, so a middleware that copies the scope still shares it
        try:
            await super().__call__(scope, receive, send)
        finally:
            # The scope outlives the stream; a sink left in it would hold the connection's
            # `send`, which holds the scope: cyclic garbage per closed stream.
            del scope[DETACH]
        if not held:
            return
        # A held stream needs nothing of its request any more: what the stack added to the
        # scope (the session, route, path params, handlers...) goes, ~0.3 kB per stream.
        for key in scope.keys() - server_keys:
            del scope[key]
        sink = held.pop()  # one response per request
        del held, server_keys
        # The stream runs here, in this frame, so an idle one keeps no other frame of ours
        # alive: it waits for the disconnect; events arrive through the sink.
        sink.start(send)
        try:
            while (await receive())["type"] != "http.disconnect":
                pass
        except asyncio.CancelledError:
            if not sink.stopping:
                raise  # the server cancelled us: let it
            sink.task.uncancel()
        finally:
            sink.leave()
        await sink.finish()
