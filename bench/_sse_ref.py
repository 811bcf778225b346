"""Reference for `bench/sse.py`: the naive Starlette + datastar-py fan-out app.

One global todo list, one `asyncio.Queue` per subscriber, every subscriber renders the
same htpy view itself (`todo_region`, so the bytes match Ironstar's). No persistence.

    .venv/bin/python bench/_sse_ref.py PORT [--floor]

`--floor` serves a bare ASGI app instead: it holds each stream open until the client
leaves, and a POST (add, toggle-all, clear-completed) writes one patch straight to every
stream. Its memory per idle stream
is uvicorn's own cost, and its fan-out is the fastest any ASGI app on these settings can
do (one `send` per stream), so both are floors for the real apps.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import uvicorn
from datastar_py import ServerSentEventGenerator as SSE
from datastar_py.sse import DatastarEvent
from datastar_py.starlette import DatastarResponse, read_signals
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from ironstar.features.todo.domain import Todo, TodoList
from ironstar.features.todo.views import todo_region

state: dict[str, TodoList] = {"list": TodoList()}
subscribers: set[asyncio.Queue[None]] = set()


def _changed() -> None:
    for queue in subscribers:
        queue.put_nowait(None)


async def page(request: Request) -> Response:
    response = HTMLResponse("<!doctype html><title>ref</title><div id=todos></div>")
    response.set_cookie("ironstar_session", uuid.uuid4().hex, httponly=True)
    return response


async def stream(request: Request) -> Response:
    async def events() -> AsyncIterator[DatastarEvent]:
        queue: asyncio.Queue[None] = asyncio.Queue()
        subscribers.add(queue)
        try:
            while True:
                yield SSE.patch_elements(str(todo_region(todos=state["list"], filter_="all")))
                await queue.get()
        finally:
            subscribers.discard(queue)

    return DatastarResponse(events())


async def add(request: Request) -> Response:
    signals = await read_signals(request) or {}
    todos = state["list"]
    state["list"] = replace(
        todos, items=(*todos.items, Todo(str(uuid.uuid4()), str(signals["input"])))
    )
    _changed()
    return DatastarResponse([SSE.patch_signals({"input": ""})])


async def toggle_all(request: Request) -> Response:
    signals = await read_signals(request) or {}
    done = bool(signals.get("completed", True))
    todos = state["list"]
    state["list"] = replace(todos, items=tuple(replace(t, completed=done) for t in todos.items))
    _changed()
    return DatastarResponse([SSE.patch_signals({})])


async def clear_completed(request: Request) -> Response:
    todos = state["list"]
    state["list"] = replace(todos, items=tuple(t for t in todos.items if not t.completed))
    _changed()
    return DatastarResponse([SSE.patch_signals({})])


app = Starlette(
    routes=[
        Route("/", page),
        Route("/api/todos", stream, methods=["GET"]),
        Route("/api/todos", add, methods=["POST"]),
        Route("/api/todos/toggle-all", toggle_all, methods=["POST"]),
        Route("/api/todos/clear-completed", clear_completed, methods=["POST"]),
    ]
)

PAGE = b"<!doctype html><title>floor</title><div id=todos></div>"
PATCH = b"event: datastar-patch-elements\ndata: elements <div id=todos></div>\n\n"
streams: set[Send] = set()
floor_list: list[Todo] = []


async def floor(scope: Scope, receive: Receive, send: Send) -> None:
    """Holds streams; a POST writes the same bytes straight to every one (eager tasks)."""
    if scope["type"] != "http":
        return
    if scope["method"] == "POST":
        body = b""
        while (message := await receive())["type"] == "http.request":
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        # The same list and patch bytes as the other servers, rendered once.
        _floor_command(scope["path"], body)
        region = todo_region(todos=TodoList(items=tuple(floor_list)), filter_="all")
        patch = str(SSE.patch_elements(str(region))).encode()
        loop = asyncio.get_running_loop()
        for stream in list(streams):
            message = {"type": "http.response.body", "body": patch, "more_body": True}
            asyncio.Task(_write(stream, message), loop=loop, eager_start=True)
        await _answer(send, b"text/plain", b"ok")
        return
    if scope["path"] != "/api/todos":
        await _answer(send, b"text/html", PAGE)
        return
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": PATCH, "more_body": True})
    streams.add(send)
    try:
        while (await receive())["type"] != "http.disconnect":
            pass
    finally:
        streams.discard(send)


def _floor_command(path: str, body: bytes) -> None:
    if path == "/api/todos/toggle-all":
        floor_list[:] = [replace(todo, completed=True) for todo in floor_list]
    elif path == "/api/todos/clear-completed":
        floor_list[:] = [todo for todo in floor_list if not todo.completed]
    else:
        marker = body.split(b'"input": "', 1)[-1].split(b'"', 1)[0].decode()
        floor_list.append(Todo(str(uuid.uuid4()), marker))


async def _write(send: Send, message: Message) -> None:
    await send(message)


async def _answer(send: Send, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"set-cookie", b"ironstar_session=x")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    uvicorn.run(
        floor if "--floor" in sys.argv else app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )
