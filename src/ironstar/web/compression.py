"""Per-event compression for SSE: every event is flushed so the browser sees it at once.

zstd, the first choice (Chromium and Firefox offer it), sends **each event as its own
frame** (RFC 8878: zstd data is one or more frames). A frame needs no state from the
events before it, so one encoder serves every zstd stream of the process
(`ZstdFrames`, owned by the `StreamHub`) and a shared view's change is compressed once
for all its zstd streams, where a context per stream cost ~0.9 MB of memory and one
compression per subscriber. Each frame carries its 4-byte checksum, and a stream holds
those 4 bytes back until its next write (`Zstd`): the event's content is complete and
decodes at once, and no write ends exactly on a frame's end, which httpx 0.28 and
urllib3 2 cannot continue from (they only move to the next frame within one read).

brotli and gzip streams keep one compressor each, with its window across events, so a
fat morph that repeats the previous one costs a few bytes; they serve clients without
zstd. Measured on a 100-item todo list patched 100 times (122 kB per event), see
`docs/architecture.md` → Compression.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli
import zstandard

_CHECKSUM = 4  # bytes at the end of every frame (`write_checksum=True`)


class StreamCompressor(Protocol):
    encoding: str

    def compress(self, data: bytes) -> bytes: ...

    def finish(self) -> bytes:
        """The bytes that end the compressed stream, so decoders see a complete one."""
        ...


class Identity:
    encoding = "identity"

    def compress(self, data: bytes) -> bytes:
        return data

    def finish(self) -> bytes:
        return b""


class ZstdFrames:
    """Events as complete zstd frames, shared by every zstd stream of one event loop.

    Not thread-safe (zstd contexts are not): one per loop, as `StreamHub` does.
    """

    def __init__(self, level: int = 3) -> None:
        # One-shot frames carry their size; zstd sizes the window to the event (≤ 128 kB
        # for a 122 kB patch), far inside the 8 MiB browsers accept (RFC 9659).
        self._compressor = zstandard.ZstdCompressor(level=level, write_checksum=True)
        self._last: tuple[bytes, bytes] = (b"", self._compressor.compress(b""))

    def frame(self, data: bytes) -> bytes:
        """`data` as one frame; the same object again (a change sent to many streams)
        gets the same frame without compressing it again."""
        last, frame = self._last
        if data is not last:
            frame = self._compressor.compress(data)
            self._last = (data, frame)
        return frame


class Zstd:
    """One stream's zstd: shared frames, each frame's checksum sent with the next write."""

    __slots__ = ("_frames", "_held")
    encoding = "zstd"

    def __init__(self, frames: ZstdFrames) -> None:
        self._frames = frames
        self._held: bytes | None = None  # the checksum of the last frame sent, if any

    def compress(self, data: bytes) -> bytes:
        frame = self._frames.frame(data)
        out = frame[:-_CHECKSUM] if self._held is None else self._held + frame[:-_CHECKSUM]
        self._held = frame[-_CHECKSUM:]
        return out

    def finish(self) -> bytes:
        """The last checksum; a stream that sent nothing ends with one empty frame, so its
        body is still zstd data (an empty body is not)."""
        held, self._held = self._held, b""
        return self._frames.frame(b"") if held is None else held


class Brotli:
    encoding = "br"

    def __init__(self) -> None:
        # Quality 3, 256 kB window: ~420 kB per stream (quality 4: ~720 kB, quality 5:
        # 1.5 MB whatever the window) and a third less CPU than quality 4, for ~70 B more
        # per fat patch (measured in `docs/architecture.md` → Streams).
        self._compressor = brotli.Compressor(quality=3, lgwin=18)

    def compress(self, data: bytes) -> bytes:
        out: bytes = self._compressor.process(data) + self._compressor.flush()
        return out

    def finish(self) -> bytes:
        out: bytes = self._compressor.finish()
        return out


class Gzip:
    encoding = "gzip"

    def __init__(self) -> None:
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def compress(self, data: bytes) -> bytes:
        return self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._compressor.flush(zlib.Z_FINISH)


# Server preference, best first; a client's q-values only rule codings out (q=0).
PREFERENCE = ("zstd", "br", "gzip")


def accepted_codings(accept_encoding: str) -> set[str]:
    """The codings an `Accept-Encoding` header allows (q > 0), lower-cased."""
    offered: set[str] = set()
    for part in accept_encoding.split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        if not coding:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            offered.add(coding.lower())
    return offered


def negotiate(accept_encoding: str, zstd: ZstdFrames | None = None) -> StreamCompressor:
    """The compressor for a stream whose client sent `accept_encoding`: zstd over the
    shared `zstd` frames (new ones if not given), else a brotli or gzip one of its own."""
    offered = accepted_codings(accept_encoding)
    for coding in PREFERENCE:
        if coding in offered:
            if coding == "zstd":
                return Zstd(zstd if zstd is not None else ZstdFrames())
            return Brotli() if coding == "br" else Gzip()
    return Identity()
