"""Long-lived SSE responses: compression, heartbeats, prompt disconnects and shutdown.

A stream's events come from an async iterator (usually: wait on the bus, read the store,
render). A bounded queue sits between it and the socket, so a slow client applies back
pressure to its own producer only; producers read from the store by position, so
nothing is lost while they wait.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import structlog
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ironstar.web.compression import negotiate

log = structlog.get_logger(__name__)
HEARTBEAT = b": keep-alive\n\n"
_END = object()


@dataclass
class StreamHub:
    """Process-wide stream bookkeeping: the shutdown signal and the open-stream count."""

    heartbeat_seconds: float = 15.0
    queue_size: int = 64
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)
    open_streams: int = 0
    bytes_sent: int = 0


class EventStream(Response):
    """An ASGI response streaming `text/event-stream` until the client or the server leaves."""

    def __init__(
        self,
        events: Callable[[], AsyncIterator[str]],
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
        self._hub.open_streams += 1
        queue: asyncio.Queue[object] = asyncio.Queue(self._hub.queue_size)
        producer = asyncio.create_task(self._produce(queue))
        watcher = asyncio.create_task(_wait_disconnect(receive))
        stopper = asyncio.create_task(self._hub.shutdown.wait())
        try:
            while True:
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait(
                    {getter, watcher, stopper},
                    timeout=self._hub.heartbeat_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if getter not in done:
                    getter.cancel()
                    if done:  # disconnect or shutdown
                        break
                    chunk = HEARTBEAT
                else:
                    item = getter.result()
                    if item is _END:
                        break
                    chunk = str(item).encode()
                body = compressor.compress(chunk)
                self._hub.bytes_sent += len(body)
                await send({"type": "http.response.body", "body": body, "more_body": True})
        except OSError:
            pass  # the client went away mid-write
        finally:
            self._hub.open_streams -= 1
            for task in (producer, watcher, stopper):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.gather(producer, watcher, stopper, return_exceptions=True)
        with contextlib.suppress(OSError):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _produce(self, queue: asyncio.Queue[object]) -> None:
        try:
            async for event in self._events():
                await queue.put(event)
        except Exception:
            log.exception("stream producer failed")
        await queue.put(_END)


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return
