"""Event streams on uvicorn's httptools protocol: the chunks a held stream writes itself."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import time
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from starlette.types import Send
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from ironstar.web.streams import EventStream, SharedView, StreamHub
from ironstar.web.topics import Topics
from tests.conftest import LiveServer
from tests.web.test_streams import Client, Views, streaming_app, until

DS = {"datastar-request": "true"}


@pytest.fixture
def cookie(live: LiveServer) -> str:
    response = httpx.get(live.url + "/")
    return response.cookies["ironstar_session"]


def hub(live: LiveServer) -> StreamHub:
    streams: StreamHub = live.app.state.services.streams
    return streams


def add(live: LiveServer, cookie: str, text: str) -> None:
    response = httpx.post(
        live.url + "/api/todos",
        json={"input": text},
        headers=DS,
        cookies={"ironstar_session": cookie},
    )
    assert response.status_code == 200
    assert '"input":""' in response.text  # added, not refused


def open_raw(live: LiveServer, cookie: str, *, buffer: int | None = None) -> socket.socket:
    """A stream over a plain socket, to read its bytes as they came (or not read them)."""
    port = int(live.url.rsplit(":", 1)[1])
    sock = socket.socket()
    if buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer)
    sock.connect(("127.0.0.1", port))
    sock.settimeout(10)
    sock.sendall(
        f"GET /api/todos HTTP/1.1\r\nHost: x\r\nCookie: ironstar_session={cookie}\r\n"
        "Accept: text/event-stream\r\ndatastar-request: true\r\n\r\n".encode()
    )
    return sock


def chunks(data: bytes) -> Iterator[bytes]:
    """The chunks of a chunked body, checking the framing; stops at an incomplete one."""
    while data:
        size_line, sep, rest = data.partition(b"\r\n")
        if not sep:
            return
        size = int(size_line, 16)
        assert size > 0, "a zero-size chunk ends the response"
        if len(rest) < size + 2:
            return
        assert rest[size : size + 2] == b"\r\n", "chunk not followed by CRLF"
        yield rest[:size]
        data = rest[size + 2 :]


def read_until(sock: socket.socket, needle: bytes) -> bytes:
    data = b""
    while needle not in data:
        more = sock.recv(1 << 16)
        assert more, "stream closed"
        data += more
    return data


def read_events_until(sock: socket.socket, body: bytes, needle: bytes) -> list[bytes]:
    """The stream's events (its body's chunks) up to a whole one holding `needle`."""
    while not (events := list(chunks(body))) or needle not in events[-1]:
        more = sock.recv(1 << 16)
        assert more, "stream closed"
        body += more
    return events


def test_stream_chunks_are_well_framed_and_written_without_the_servers_send(
    live: LiveServer, cookie: str
) -> None:
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(open_raw(live, cookie)) for _ in range(3)]
        heads = [read_until(sock, b"\r\n\r\n") for sock in socks]
        before = hub(live).direct_writes
        for n in range(5):
            add(live, cookie, f"item-{n}")
        received = 0
        for sock, start in zip(socks, heads, strict=True):
            head, _, body = start.partition(b"\r\n\r\n")
            assert b"transfer-encoding: chunked" in head.lower()
            events = read_events_until(sock, body, b">item-4<")
            assert all(e.startswith(b"event: datastar-patch-elements\n") for e in events)
            assert all(e.endswith(b"\n\n") for e in events)  # one whole event per chunk
            assert events[-1].count(b">item-") == 5  # the last one shows the whole list
            received += len(events) - 1  # the first (the view as it was) may predate `before`
        # Every later event went straight to the transport (two adds close together may
        # share one rendering, so there are at most 5 per stream, not always 5). The
        # server thread counts a write just after making it: give it a moment to.
        assert received >= 3
        deadline = time.monotonic() + 2
        while hub(live).direct_writes - before < received and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hub(live).direct_writes - before >= received


def test_a_client_that_stops_reading_gets_the_latest_view_once_it_reads_again(
    live: LiveServer, cookie: str
) -> None:
    with open_raw(live, cookie, buffer=4096) as stalled:
        head = read_until(stalled, b"\r\n\r\n")
        for n in range(40):  # up to ~40 kB per patch: the server's buffer fills
            add(live, cookie, f"{n:03d}-" + "x" * 400)
        with open_raw(live, cookie) as reading:  # another stream is not held up meanwhile
            assert b"039-" in read_until(reading, b"039-")
        events = read_events_until(stalled, head.partition(b"\r\n\r\n")[2], b">039-")
    lists = [re.findall(rb">(\d{3})-x", event) for event in events]  # labels
    assert lists[-1] == [b"%03d" % n for n in range(40)]


class Transport:
    """What a held stream's response writes to its connection."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def body(self) -> list[bytes]:
        return list(chunks(self.data.partition(b"\r\n\r\n")[2]))


def uvicorn_response(client: Client, transport: Transport) -> RequestResponseCycle:
    fake = cast("asyncio.Transport", transport)
    return RequestResponseCycle(
        scope=cast("Any", client.scope),
        transport=fake,
        flow=FlowControl(fake),
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test.access"),
        access_log=False,
        default_headers=[],
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=True,
        on_response=lambda: None,
    )


async def test_a_paused_connection_takes_the_servers_send_and_gets_the_latest() -> None:
    hub, topics, views = StreamHub(), Topics(), Views()
    client, transport = Client(), Transport()
    response = uvicorn_response(client, transport)
    app = streaming_app(EventStream(SharedView(topics, "k", views), hub), [])
    send = cast("Send", response.send)
    task = asyncio.create_task(app(client.scope, client.receive, send))
    await until(lambda: transport.body() == [b"data: view 1\n\n"])
    assert hub.direct_writes == 1
    response.flow.pause_writing()  # the client's socket is full
    for _ in range(3):
        views.change()
        await asyncio.sleep(0)
    await until(lambda: views.version == 4)
    assert len(transport.body()) == 1  # nothing written while paused
    response.flow.resume_writing()
    # The write in flight when it paused, then the latest; view 3 was replaced.
    await until(lambda: len(transport.body()) == 3)
    assert transport.body()[1:] == [b"data: view 2\n\n", b"data: view 4\n\n"]
    views.change()
    await until(lambda: len(transport.body()) == 4)
    assert hub.direct_writes == 2  # writing straight to it again
    client.leave()
    await task
    assert transport.data.endswith(b"\r\n0\r\n\r\n")  # ended by uvicorn, complete
    assert response.response_complete
