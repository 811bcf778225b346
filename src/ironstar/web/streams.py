"""Long-lived SSE responses: compression, heartbeats, prompt disconnects and shutdown.

A stream's events come from an async iterator (usually: wait on the bus or a shared
`Topic`, render, yield) that runs in the request's own task, so an idle stream costs one
task plus a small watcher that notices a disconnect at once, sends heartbeats and ends
the stream on shutdown. A slow client slows only its own iterator, which reads from the
store by position or takes the latest shared view, so nothing is lost or queued.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ironstar.web.compression import negotiate

log = structlog.get_logger(__name__)
HEARTBEAT = b": keep-alive\n\n"


class _Connection:
    """One open stream: its task, and whether we (not the server) asked it to stop."""

    __slots__ = ("stopping", "task")

    def __init__(self, task: asyncio.Task[object]) -> None:
        self.task = task
        self.stopping = False

    def stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            self.task.cancel()


@dataclass
class StreamHub:
    """Process-wide stream bookkeeping: the shutdown signal and the open streams."""

    heartbeat_seconds: float = 15.0
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)
    bytes_sent: int = 0
    _open: set[_Connection] = field(default_factory=set)
    _watchdog: asyncio.Task[None] | None = None

    @property
    def open_streams(self) -> int:
        return len(self._open)

    def _register(self, connection: _Connection) -> None:
        self._open.add(connection)
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = asyncio.create_task(self._end_streams_on_shutdown())
        if self.shutdown.is_set():
            connection.stop()

    async def _end_streams_on_shutdown(self) -> None:
        # Streams that open while the event is set stop at once (see _register); the
        # next stream after it is cleared starts a new watchdog.
        await self.shutdown.wait()
        for connection in list(self._open):
            connection.stop()


class EventStream(Response):
    """An ASGI response streaming `text/event-stream` until the client or the server leaves."""

    def __init__(
        self,
        events: Callable[[], AsyncIterator[str | bytes]],
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
        task = asyncio.current_task()
        assert task is not None
        connection = _Connection(task)
        lock = asyncio.Lock()  # the watcher's heartbeats and our events share the socket

        async def write(chunk: bytes) -> None:
            body = compressor.compress(chunk)
            async with lock:
                await send({"type": "http.response.body", "body": body, "more_body": True})
            self._hub.bytes_sent += len(body)

        watcher = asyncio.create_task(self._watch(receive, connection, write))
        self._hub._register(connection)
        try:
            async for event in self._events():
                await write(event if isinstance(event, bytes) else event.encode())
        except asyncio.CancelledError:
            if not connection.stopping:
                raise  # the server cancelled us: let it
            task.uncancel()
        except OSError:
            pass  # the client went away mid-write
        except Exception:
            log.exception("stream producer failed")
        finally:
            self._hub._open.discard(connection)
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        with contextlib.suppress(OSError):  # end the compressed stream: decoders want it whole
            await send(
                {"type": "http.response.body", "body": compressor.finish(), "more_body": False}
            )

    async def _watch(
        self,
        receive: Receive,
        connection: _Connection,
        write: Callable[[bytes], Awaitable[None]],
    ) -> None:
        """Stop the stream the moment the client leaves; keep proxies from timing it out."""
        while True:
            try:
                async with asyncio.timeout(self._hub.heartbeat_seconds):
                    message = await receive()
            except TimeoutError:
                try:
                    await write(HEARTBEAT)
                except OSError:
                    connection.stop()
                    return
                continue
            if message["type"] == "http.disconnect":
                connection.stop()
                return
