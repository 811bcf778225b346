"""A light load generator for `bench/sse.py`: raw asyncio protocols, no HTTP library.

Thousands of SSE subscribers live in one process as `asyncio.Protocol` objects (no task
per connection); commands go over a few keep-alive connections.
"""

from __future__ import annotations

import asyncio
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import brotli
import zstandard

HOST = "127.0.0.1"
PATCH = b"event: datastar-patch-elements"


@dataclass
class Tracker:
    """Markers sent in commands and when each subscriber first saw each one."""

    sent: list[tuple[bytes, float]] = field(default_factory=list)
    arrivals: list[list[float]] = field(default_factory=list)
    waiters: dict[int, tuple[int, asyncio.Future[None]]] = field(default_factory=dict)

    def send(self, marker: bytes, at: float | None = None) -> int:
        """Look for `marker` from now on; latencies count from `at` (default: now)."""
        self.sent.append((marker, time.perf_counter() if at is None else at))
        self.arrivals.append([])
        return len(self.sent) - 1

    def seen(self, index: int, now: float) -> None:
        got = self.arrivals[index]
        got.append(now - self.sent[index][1])
        waiter = self.waiters.get(index)
        if waiter is not None and len(got) >= waiter[0] and not waiter[1].done():
            waiter[1].set_result(None)

    async def wait(self, index: int, count: int, seconds: float) -> bool:
        if len(self.arrivals[index]) >= count:
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters[index] = (count, future)
        try:
            await asyncio.wait_for(future, seconds)
            return True
        except TimeoutError:
            return False
        finally:
            self.waiters.pop(index, None)


class Dechunker:
    """Incremental `Transfer-Encoding: chunked` decoder."""

    def __init__(self) -> None:
        self.buf = b""
        self.remaining = 0
        self.crlf = False

    def feed(self, data: bytes) -> bytes:
        self.buf += data
        out: list[bytes] = []
        while True:
            if self.remaining:
                take = self.buf[: self.remaining]
                out.append(take)
                self.remaining -= len(take)
                self.buf = self.buf[len(take) :]
                if self.remaining:
                    break
                self.crlf = True
            if self.crlf:
                if len(self.buf) < 2:
                    break
                self.buf = self.buf[2:]
                self.crlf = False
            end = self.buf.find(b"\r\n")
            if end < 0:
                break
            size = int(self.buf[:end].split(b";")[0], 16)
            self.buf = self.buf[end + 2 :]
            if size == 0:
                break
            self.remaining = size
        return b"".join(out)


def _decoder(encoding: str) -> Callable[[bytes], bytes]:
    if encoding == "br":
        decompressor = brotli.Decompressor()

        def unbrotli(data: bytes) -> bytes:
            # brotli 1.2.1 hands out at most 32,752 bytes per call, whatever the limit
            # argument says; keep calling with no input until it has nothing left.
            out: list[bytes] = [decompressor.process(data)]
            while len(out[-1]) >= 32_752:
                out.append(decompressor.process(b""))
            return b"".join(out)

        return unbrotli
    if encoding == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress
    if encoding == "zstd":
        frames = [zstandard.ZstdDecompressor().decompressobj()]

        def unzstd(data: bytes) -> bytes:
            # One or more frames (RFC 8878): a new decoder for each one.
            out = []
            while data:
                if frames[0].eof:
                    frames[0] = zstandard.ZstdDecompressor().decompressobj()
                out.append(frames[0].decompress(data))
                data = frames[0].unused_data if frames[0].eof else b""
            return b"".join(out)

        return unzstd
    return bytes


class Subscriber(asyncio.Protocol):
    """One SSE stream. Identity streams are searched raw (a marker never spans two
    events, and each event is one chunk); compressed ones are de-chunked and decoded."""

    def __init__(self, path: str, cookie: str, encoding: str, tracker: Tracker | None) -> None:
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nCookie: ironstar_session={cookie}\r\n"
            f"Accept: text/event-stream\r\nAccept-Encoding: {encoding}\r\n"
            "datastar-request: true\r\n\r\n"
        ).encode()
        self.encoding = encoding
        self.tracker = tracker
        self.head = b""
        self.in_body = False
        self.wire_bytes = 0
        self.patches = 0
        self.tail = b""
        self.cursor = 0  # index into tracker.sent not yet looked for
        self.pending: list[int] = []
        self.dechunk = Dechunker() if encoding != "identity" else None
        self.decode = _decoder(encoding)
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.on_patch: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # uvloop's is not a subclass
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("stream closed before its first patch"))

    def data_received(self, data: bytes) -> None:
        if not self.in_body:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.head.startswith(b"HTTP/1.1 200"):
                raise ConnectionError(self.head[:200].decode("latin-1"))
            data = self.head[end + 4 :]
            self.in_body = True
        now = time.perf_counter()
        self.wire_bytes += len(data)
        if self.dechunk is not None:
            data = self.decode(self.dechunk.feed(data))
        text = self.tail + data
        found = text.count(PATCH)
        if found:
            self.patches += found
            if not self.ready.done():
                self.ready.set_result(None)
            if self.on_patch is not None:
                self.on_patch()
        if self.tracker is not None:
            self._track(self.tracker, text, now)
        self.tail = text[-31:]

    def _track(self, tracker: Tracker, text: bytes, now: float) -> None:
        # Only markers on their way are searched (a few `in` scans per chunk: ~4 us each
        # over a 10-item list, where one regex pass for all markers took ~200 us).
        sent = tracker.sent
        if self.cursor < len(sent):
            self.pending.extend(range(self.cursor, len(sent)))
            self.cursor = len(sent)
        if self.pending:
            left = []
            for index in self.pending:
                if sent[index][0] in text:
                    tracker.seen(index, now)
                else:
                    left.append(index)
            self.pending = left

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def subscribe(
    port: int,
    cookie: str,
    count: int,
    *,
    encoding: str = "identity",
    tracker: Tracker | None = None,
    batch: int = 250,
) -> list[Subscriber]:
    """Open `count` streams, `batch` at a time, each confirmed by its first patch."""
    loop = asyncio.get_running_loop()
    subs: list[Subscriber] = []
    for start in range(0, count, batch):
        made = [
            Subscriber("/api/todos", cookie, encoding, tracker)
            for _ in range(min(batch, count - start))
        ]
        for sub in made:
            sub.cursor = len(tracker.sent) if tracker is not None else 0
        await asyncio.gather(*(loop.create_connection(_factory(s), HOST, port) for s in made))
        await asyncio.wait_for(asyncio.gather(*(s.ready for s in made)), 60)
        subs.extend(made)
    return subs


def _factory(sub: Subscriber) -> Callable[[], Subscriber]:
    return lambda: sub


class Client:
    """One keep-alive HTTP/1.1 connection for commands and pages."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Client:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    def send(self, method: str, path: str, cookie: str, body: bytes = b"") -> None:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nCookie: ironstar_session={cookie}\r\n"
            "Content-Type: application/json\r\ndatastar-request: true\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                key = name.strip().lower()
                headers[key] = (headers[key] + "; " if key in headers else "") + value.strip()
        if "content-length" in headers:
            return status, headers, await self.reader.readexactly(int(headers["content-length"]))
        body: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await self.reader.readexactly(size + 2)
            if size == 0:
                break
            body.append(chunk[:-2])
        return status, headers, b"".join(body)

    async def call(
        self, method: str, path: str, cookie: str, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        self.send(method, path, cookie, body)
        return await self.response()

    def close(self) -> None:
        self.writer.close()


async def new_session(port: int) -> str:
    client = await Client.open(port)
    try:
        _, headers, _ = await client.call("GET", "/", "none")
    finally:
        client.close()
    found = re.search(r"ironstar_session=([^;]+)", headers.get("set-cookie", ""))
    if found is None:
        raise RuntimeError(f"no session cookie in {headers}")
    return found.group(1)
