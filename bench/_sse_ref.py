"""Reference for `bench/sse.py`: the naive Starlette + datastar-py fan-out app.

One global todo list, one `asyncio.Queue` per subscriber, every subscriber renders the
same htpy view itself (`todo_region`, so the bytes match Ironstar's). No persistence.

    .venv/bin/python bench/_sse_ref.py PORT
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

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )
