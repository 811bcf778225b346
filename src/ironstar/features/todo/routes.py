"""HTTP for the todo list: the page, its live stream, and one endpoint per command.

Commands answer only after the events are durable; a refused command answers with a
patch that shows the message next to the input, never a 5xx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cache, partial
from typing import Any

import msgspec
from datastar_py.sse import DatastarEvent
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from ironstar.features.todo.domain import (
    AddTodo,
    ClearCompleted,
    CompleteTodo,
    DeleteTodo,
    MoveTodo,
    RenameTodo,
    ReopenTodo,
    TodoCommand,
    TodoNotFound,
    ToggleAll,
    todo_list,
)
from ironstar.features.todo.projections import TodoLists
from ironstar.features.todo.views import FILTERS, Filter, error_message, todo_app, todo_region
from ironstar.kernel import DomainError, uuid7
from ironstar.services import Services
from ironstar.web.session import current_session
from ironstar.web.sse import (
    SSE,
    SignalsError,
    read_signals_strict,
    refusal,
    sse_response,
)
from ironstar.web.streams import EventStream, SharedView

type Endpoint = Callable[[Request], Awaitable[Response]]


class TextInput(msgspec.Struct):
    input: str = ""


class EditText(msgspec.Struct):
    text: str


class Completed(msgspec.Struct):
    completed: bool


class MoveTo(msgspec.Struct):
    to_index: int


class TodoRoutes:
    def __init__(self, services: Services, lists: TodoLists) -> None:
        self.services = services
        self.lists = lists

    def routes(self) -> list[Route]:
        return [
            Route("/", self.page, methods=["GET"]),
            Route("/api/todos", self.stream, methods=["GET"]),
            Route("/api/todos", self.add, methods=["POST"]),
            Route("/api/todos/toggle-all", self.toggle_all, methods=["POST"]),
            Route("/api/todos/clear-completed", self.clear_completed, methods=["POST"]),
            Route("/api/todos/{todo_id}", self.rename, methods=["PUT"]),
            Route("/api/todos/{todo_id}", self.delete, methods=["DELETE"]),
            Route("/api/todos/{todo_id}/toggle", self.toggle, methods=["POST"]),
            Route("/api/todos/{todo_id}/move", self.move, methods=["POST"]),
        ]

    async def page(self, request: Request) -> Response:
        owner = current_session(request).owner
        await self.services.projections.wait_for(await self.services.store.last_position())
        page = self.services.layout.page(
            page_title="Todos",
            current_path="/",
            content=todo_app(todos=self.lists.get(owner)),
        )
        return HTMLResponse(str(page))

    async def stream(self, request: Request) -> Response:
        owner = current_session(request).owner
        try:
            signals = await read_signals_strict(request)
        except SignalsError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        filter_ = FILTERS.get(str(signals.get("filter", "all")), "all")
        # Every tab showing this list with this filter shares one rendering per change.
        producer = partial(self._patches, owner, filter_)
        view = SharedView(self.services.topics, ("todos", owner, filter_), producer)
        return EventStream(view, self.services.streams)

    async def _patches(self, owner: str, filter_: Filter) -> AsyncIterator[str]:
        services = self.services
        async with services.bus.subscribe() as subscription:
            position = await services.store.last_position()
            await services.projections.wait_for(position)
            rendered = -1
            while True:
                version = self.lists.version(owner)
                if version != rendered:
                    rendered = version
                    yield self._render(owner, filter_)
                position = await subscription.wait(position)
                await services.projections.wait_for(position)

    def _render(self, owner: str, filter_: Filter) -> str:
        region = todo_region(todos=self.lists.get(owner), filter_=filter_)
        return SSE.patch_elements(region, event_id=str(self.lists.changed_at(owner)))

    # -- commands ------------------------------------------------------------------------
    async def add(self, request: Request) -> Response:
        body = await _signals(request, TextInput)
        if isinstance(body, Response):
            return body
        return await self._run(request, AddTodo(uuid7(), body.input), on_success=[_clear_input()])

    async def rename(self, request: Request) -> Response:
        body = await _signals(request, EditText)
        if isinstance(body, Response):
            return body
        return await self._run(request, RenameTodo(request.path_params["todo_id"], body.text))

    async def toggle(self, request: Request) -> Response:
        body = await _signals(request, Completed)
        if isinstance(body, Response):
            return body
        todo_id = request.path_params["todo_id"]
        command = CompleteTodo(todo_id) if body.completed else ReopenTodo(todo_id)
        return await self._run(request, command)

    async def delete(self, request: Request) -> Response:
        return await self._run(request, DeleteTodo(request.path_params["todo_id"]))

    async def move(self, request: Request) -> Response:
        body = await _signals(request, MoveTo)
        if isinstance(body, Response):
            return body
        return await self._run(request, MoveTodo(request.path_params["todo_id"], body.to_index))

    async def toggle_all(self, request: Request) -> Response:
        body = await _signals(request, Completed)
        if isinstance(body, Response):
            return body
        return await self._run(request, ToggleAll(body.completed))

    async def clear_completed(self, request: Request) -> Response:
        return await self._run(request, ClearCompleted())

    async def _run(
        self,
        request: Request,
        command: TodoCommand,
        *,
        on_success: list[DatastarEvent] | None = None,
    ) -> Response:
        session = current_session(request)
        metadata = {"owner": session.owner, "command": type(command).__name__}
        try:
            await self.services.commands.handle(todo_list, session.owner, command, metadata)
        except DomainError as exc:
            status = 404 if isinstance(exc, TodoNotFound) else 422
            return _show_error(request, exc.message, status)
        return sse_response([*(on_success or []), _clear_error()])


@cache
def _clear_input() -> DatastarEvent:
    return SSE.patch_signals({"input": ""})


@cache
def _clear_error() -> DatastarEvent:
    """Every successful command hides the error line: the same event each time (~25 us)."""
    return SSE.patch_elements(error_message(""))


async def _signals[T](request: Request, shape: type[T]) -> T | Response:
    """Decode the request's signals into `shape`, or a 400 naming what was wrong.

    A browser running Datastar never sends malformed signals, so this is for API clients.
    """
    try:
        raw: dict[str, Any] = await read_signals_strict(request)
        return msgspec.convert(raw, shape)
    except (SignalsError, msgspec.ValidationError) as exc:
        return PlainTextResponse(f"Bad request: {exc}", status_code=400)


def _show_error(request: Request, message: str, status: int) -> Response:
    """A patch that shows the message next to the input (see `refusal`)."""
    return refusal(request, SSE.patch_elements(error_message(message)), status)
