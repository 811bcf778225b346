"""Datastar SSE events and signal reading, hardened.

datastar-py formats events; this module refuses CR/LF in fields it does not split
(event ids, selectors), so user-influenced text can never forge an SSE field, and reads
signals strictly: malformed JSON is the caller's 400, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from datastar_py.sse import SSE_HEADERS, DatastarEvent, ServerSentEventGenerator
from starlette.requests import Request
from starlette.responses import Response

_FORBIDDEN = ("\r", "\n", "\0")


class SignalsError(ValueError):
    """The request's signals are missing or not a JSON object."""


class SSE(ServerSentEventGenerator):
    """datastar-py's generator, refusing line breaks in the fields it does not split.

    Element, signal and script text become one `data:` line per line; event ids,
    selectors and modes are written as they are, so a CR/LF there could forge an
    `event:`/`id:`/`data:` field. Every such argument is checked here.
    """

    __slots__ = ()

    @classmethod
    def patch_elements(cls, *args: Any, **kwargs: Any) -> DatastarEvent:
        _check_fields(args[1:], kwargs, body="elements")
        return super().patch_elements(*args, **kwargs)

    @classmethod
    def patch_signals(cls, *args: Any, **kwargs: Any) -> DatastarEvent:
        _check_fields(args[1:], kwargs, body="signals")
        return super().patch_signals(*args, **kwargs)

    @classmethod
    def execute_script(cls, *args: Any, **kwargs: Any) -> DatastarEvent:
        _check_fields(args[1:], kwargs, body="script")
        return super().execute_script(*args, **kwargs)


def _check_fields(args: tuple[Any, ...], kwargs: dict[str, Any], *, body: str) -> None:
    values = [*args, *(v for k, v in kwargs.items() if k != body)]
    for value in values:
        if isinstance(value, str) and any(ch in value for ch in _FORBIDDEN):
            raise ValueError(f"SSE field contains a line break: {value[:40]!r}")


async def read_signals_strict(request: Request, *, limit: int | None = None) -> dict[str, Any]:
    """Signals from the `datastar` query parameter (GET/DELETE) or the JSON body."""
    if request.method in {"GET", "DELETE"} and "datastar" in request.query_params:
        raw: bytes = request.query_params["datastar"].encode()
    else:
        raw = await request.body()
    if limit is not None and len(raw) > limit:
        raise SignalsError("request body too large")
    if not raw.strip():
        return {}
    try:
        signals = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise SignalsError(f"signals are not valid JSON: {exc}") from None
    if not isinstance(signals, dict):
        raise SignalsError("signals must be a JSON object")
    return signals


def from_datastar(request: Request) -> bool:
    """A request made by the Datastar runtime (it always sends this header)."""
    return "datastar-request" in request.headers


def refusal(request: Request, patch: DatastarEvent, status: int) -> Response:
    """A refused command: the patch that shows why, with a status the client will use.

    Datastar applies a response body only when the status is 200, so a browser gets 200
    and the visible message; other clients get the status that names the problem.
    """
    return sse_response([patch], status=200 if from_datastar(request) else status)


def sse_response(
    events: Iterable[DatastarEvent], *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A finished answer of 0..N events (204 when there are none), sent in one piece.

    datastar-py's `DatastarResponse` streams a list through Starlette's thread pool, one
    thread hop per event; an answer known in full is just a body.
    """
    body = "".join(events).encode()
    if not body:
        return Response(status_code=204, headers=headers)
    return Response(body, status_code=status, headers={**SSE_HEADERS, **(headers or {})})
