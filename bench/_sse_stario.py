"""Stario 5.1.1 for `bench/sse.py`: the same todo fan-out, written the Stario way.

Runs in its own venv (Stario's dependencies are not Ironstar's; see bench/README.md):

    /tmp/stario-venv/bin/python bench/_sse_stario.py PORT

One global todo list, no persistence (like `_sse_ref.py`). Each command renders the
list once with Ironstar's own htpy `todo_region` (the same bytes as the other servers)
and publishes it on a `Relay`; every stream holds a latest-only subscription and writes
what arrives through Stario's `SSE` helper, its handler ended by `c.alive()` on
disconnect or shutdown. The venv needs `stario==5.1.1 uvloop htpy msgspec`; Ironstar's
todo modules are loaded from `src/` without their package (which needs Starlette).
"""

from __future__ import annotations

import json
import sys
import types
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import uvloop

# Stario lives in its own venv, not in the project's: mypy sees it as untyped.
from stario import (  # type: ignore[import-not-found]
    App,
    Context,
    Relay,
    Route,
    ServerConfig,
    Span,
    Writer,
    serve,
)
from stario.datastar import SSE  # type: ignore[import-not-found]

SRC = Path(__file__).resolve().parent.parent / "src"
sys.path.insert(0, str(SRC))
for _name in ("ironstar.features", "ironstar.features.todo"):
    _module = types.ModuleType(_name)
    _module.__path__ = [str(SRC / _name.replace(".", "/"))]
    sys.modules[_name] = _module

from ironstar.features.todo.domain import Todo, TodoList  # noqa: E402
from ironstar.features.todo.views import todo_region  # noqa: E402

relay = Relay()
state: dict[str, TodoList] = {"list": TodoList()}
view: dict[str, str] = {"html": str(todo_region(todos=TodoList(), filter_="all"))}


def changed(todos: TodoList) -> None:
    state["list"] = todos
    view["html"] = str(todo_region(todos=todos, filter_="all"))  # once per change
    relay.publish("todos", view["html"])


async def page(c: Context, w: Writer) -> None:
    w.headers.set("set-cookie", f"ironstar_session={uuid.uuid4().hex}; HttpOnly; Path=/")
    w.html("<!doctype html><title>stario</title><div id=todos></div>")


async def stream(c: Context, w: Writer) -> None:
    sse = SSE(w)
    async with relay.subscribe("todos", latest=True) as subscription:
        sse.patch_elements(view["html"])
        async for _, html in c.alive(subscription):
            sse.patch_elements(html)


async def signals(c: Context) -> dict[str, object]:
    raw = await c.req.body()
    decoded: dict[str, object] = json.loads(raw or b"{}")
    return decoded


async def add(c: Context, w: Writer) -> None:
    text = str((await signals(c))["input"])
    todos = state["list"]
    changed(replace(todos, items=(*todos.items, Todo(str(uuid.uuid4()), text))))
    SSE(w).patch_signals({"input": ""})
    w.end()


async def toggle_all(c: Context, w: Writer) -> None:
    done = bool((await signals(c)).get("completed", True))
    todos = state["list"]
    changed(replace(todos, items=tuple(replace(t, completed=done) for t in todos.items)))
    w.empty(200)


async def clear_completed(c: Context, w: Writer) -> None:
    todos = state["list"]
    changed(replace(todos, items=tuple(t for t in todos.items if not t.completed)))
    w.empty(200)


async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
    app.add(Route("GET", "/"), page)
    app.add(Route("GET", "/api/todos"), stream)
    app.add(Route("POST", "/api/todos"), add)
    app.add(Route("POST", "/api/todos/toggle-all"), toggle_all)
    app.add(Route("POST", "/api/todos/clear-completed"), clear_completed)
    yield


if __name__ == "__main__":
    uvloop.run(serve(bootstrap, config=ServerConfig(host="127.0.0.1", port=int(sys.argv[1]))))
