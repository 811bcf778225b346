"""Stream compression: negotiation, one flush per event, a complete stream at the end."""

from __future__ import annotations

import queue
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import brotli
import httpx
import pytest
import zstandard

from ironstar.web.compression import Brotli, Gzip, Identity, Zstd, ZstdFrames, negotiate
from tests.conftest import LiveServer

DS = {"datastar-request": "true"}


@pytest.mark.parametrize(
    ("header", "encoding"),
    [
        ("gzip, deflate, br, zstd", "zstd"),  # Chromium's header
        ("zstd", "zstd"),
        ("br, gzip", "br"),
        ("gzip, deflate", "gzip"),
        ("zstd;q=0, br;q=0.1, gzip", "br"),  # q only rules codings out
        ("ZSTD ; q=0.5", "zstd"),
        ("zstd;q=0.0, br;q=0, gzip;q=0.000", "identity"),
        ("zstd;q=oops, gzip", "gzip"),
        ("identity", "identity"),
        ("", "identity"),
    ],
)
def test_negotiation_prefers_zstd_then_brotli_then_gzip(header: str, encoding: str) -> None:
    assert negotiate(header).encoding == encoding


class Decoder:
    """The client's side of one coding: bytes in, whatever is decodable out."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._zstd = zstandard.ZstdDecompressor().decompressobj()
        self._brotli = brotli.Decompressor()
        self._gzip = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> bytes:
        if self.encoding == "zstd":  # one or more frames, decoded in turn (RFC 8878)
            out = [self._zstd.decompress(data)]
            while self._zstd.eof and (rest := self._zstd.unused_data):
                self._zstd = zstandard.ZstdDecompressor().decompressobj()
                out.append(self._zstd.decompress(rest))
            return b"".join(out)
        if self.encoding == "br":
            out = [self._brotli.process(data)]
            while len(out[-1]) >= 32_752:  # brotli hands out at most this much per call
                out.append(self._brotli.process(b""))
            return b"".join(out)
        if self.encoding == "gzip":
            return self._gzip.decompress(data)
        return data

    @property
    def complete(self) -> bool:
        if self.encoding == "zstd":
            return bool(self._zstd.eof)
        if self.encoding == "br":
            return bool(self._brotli.is_finished())
        if self.encoding == "gzip":
            return self._gzip.eof
        return True


def fat_events(count: int) -> list[bytes]:
    rows = "".join(f"<li id='todo-{i}'><label>item {i}</label></li>" for i in range(200))
    return [
        f"event: datastar-patch-elements\nid: {n}\ndata: elements <ul>{rows}{n}</ul>\n\n".encode()
        for n in range(count)
    ]


@pytest.mark.parametrize("make", [lambda: Zstd(ZstdFrames()), Brotli, Gzip, Identity])
def test_each_event_decodes_before_the_next_and_the_end_completes_the_stream(
    make: Callable[[], Zstd | Brotli | Gzip | Identity],
) -> None:
    compressor = make()
    decoder = Decoder(compressor.encoding)
    events = fat_events(20)
    sent = 0
    for event in events:
        wire = compressor.compress(event)
        sent += len(wire)
        assert decoder.feed(wire) == event  # all of it, nothing held back
    assert decoder.feed(compressor.finish()) == b""
    assert decoder.complete
    if compressor.encoding != "identity":
        assert sum(map(len, events)) / sent > 10  # repeated fat morphs cost little


def test_zstd_streams_share_their_frames_and_a_change_is_compressed_once() -> None:
    frames = ZstdFrames()
    first, second = negotiate("zstd", frames), negotiate("gzip, zstd", frames)
    change = fat_events(1)[0]
    assert first.compress(change) == second.compress(change)
    assert frames.frame(change) is frames.frame(change)  # compressed once
    again = bytes(bytearray(change))  # equal, but another change: compressed on its own
    assert frames.frame(again) is not frames.frame(change)


def test_a_zstd_stream_holds_each_checksum_until_its_next_write() -> None:
    """No write ends on a frame's end: httpx 0.28 and urllib3 2 cannot go on from there."""
    first, second = fat_events(2)
    alone = Zstd(ZstdFrames()).compress(first)
    decoder = zstandard.ZstdDecompressor().decompressobj()
    assert decoder.decompress(alone) == first  # decodes at once...
    assert not decoder.eof  # ...though the frame's checksum is still to come
    stream = Zstd(ZstdFrames())
    whole = stream.compress(first) + stream.compress(second) + stream.finish()
    frames = zstandard.ZstdDecompressor().decompressobj()
    assert frames.decompress(whole) == first
    assert frames.eof  # a complete first frame, the second one after it
    assert zstandard.ZstdDecompressor().decompress(frames.unused_data) == second
    client = httpx_zstd()
    stream = Zstd(ZstdFrames())
    decoded = [client.decode(stream.compress(event)) for event in fat_events(5)]
    assert decoded == fat_events(5)
    assert client.decode(stream.finish()) == b""
    assert client.flush() == b""  # httpx checks the last frame is complete


def test_a_zstd_stream_that_sent_nothing_still_ends_with_zstd_data() -> None:
    tail = Zstd(ZstdFrames()).finish()
    decoder = zstandard.ZstdDecompressor().decompressobj()
    assert decoder.decompress(tail) == b""
    assert decoder.eof


def httpx_zstd() -> Any:
    from httpx._decoders import ZStandardDecoder

    return ZStandardDecoder()


class RawStream:
    """A stream read on its own thread, compressed bytes in a queue, as they arrive."""

    def __init__(self, client: httpx.Client, encoding: str) -> None:
        self.chunks: queue.Queue[bytes | None] = queue.Queue()
        self.headers: queue.Queue[httpx.Headers] = queue.Queue()
        self._client = client
        self._encoding = encoding
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        headers = {**DS, "accept-encoding": self._encoding}
        try:
            with self._client.stream("GET", "/api/todos", headers=headers) as response:
                self.headers.put(response.headers)
                for chunk in response.iter_raw():
                    self.chunks.put(chunk)
        finally:
            self.chunks.put(None)

    def next_event(self, decoder: Decoder) -> str:
        """Read until one whole event has decoded; fail if more than that arrives."""
        text = b""
        while not text.endswith(b"\n\n"):
            chunk = self.chunks.get(timeout=5)
            assert chunk is not None, "the stream ended early"
            text += decoder.feed(chunk)
        assert text.count(b"\n\nevent:") == 0, "two events in one read"
        return text.decode()

    def join(self) -> None:
        self._thread.join(timeout=5)


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        client.get("/")  # the page sets the session cookie
        yield client


@pytest.mark.parametrize("encoding", ["zstd", "br", "gzip"])
def test_the_todo_stream_arrives_event_by_event(
    live: LiveServer, client: httpx.Client, encoding: str
) -> None:
    stream = RawStream(client, encoding)
    headers = stream.headers.get(timeout=5)
    assert headers["content-encoding"] == encoding
    assert "accept-encoding" in headers["vary"].lower()
    decoder = Decoder(encoding)
    assert 'id="todos"' in stream.next_event(decoder)  # the current view, at once
    for n in range(3):
        # The next command is sent only once this event has fully decoded.
        response = client.post("/api/todos", json={"input": f"item {n}"}, headers=DS)
        assert response.status_code == 200
        event = stream.next_event(decoder)
        assert event.startswith("event: datastar-patch-elements\nid: ")
        assert event.count("data-id=") == n + 1
        assert f"item {n}</label>" in event

    # A clean end (shutdown) finishes the compressed stream, so strict decoders accept it.
    state = live.app.state
    state.loop.call_soon_threadsafe(state.shutdown.set)
    rest = b""
    while (chunk := stream.chunks.get(timeout=5)) is not None:
        rest += decoder.feed(chunk)
    stream.join()
    state.loop.call_soon_threadsafe(state.shutdown.clear)
    assert rest == b""
    assert decoder.complete


def test_httpx_decodes_a_zstd_stream_to_its_end(live: LiveServer, client: httpx.Client) -> None:
    """httpx checks the zstd frame is complete at the end: the stream must finish it."""
    client.post("/api/todos", json={"input": "whole"}, headers=DS)
    state = live.app.state
    with client.stream("GET", "/api/todos", headers={**DS, "accept-encoding": "zstd"}) as r:
        assert r.headers["content-encoding"] == "zstd"
        lines = r.iter_lines()
        assert next(lines).startswith("event: datastar-patch-elements")
        state.loop.call_soon_threadsafe(state.shutdown.set)
        body = "\n".join(lines)  # raises DecodingError on a truncated frame
    state.loop.call_soon_threadsafe(state.shutdown.clear)
    assert "whole</label>" in body
