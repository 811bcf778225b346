"""Datastar SSE events and signal reading, hardened.

datastar-py formats events; this module refuses CR/LF in fields it does not split
(event ids, selectors), so user-influenced text can never forge an SSE field, and reads
signals strictly: malformed JSON is the caller's 400, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, override

import msgspec
from datastar_py import consts
from datastar_py.sse import DatastarEvent, ServerSentEventGenerator
from datastar_py.starlette import DatastarResponse
from starlette.requests import Request

_FORBIDDEN = ("\r", "\n", "\0")


class SignalsError(ValueError):
    """The request's signals are missing or not a JSON object."""


class SSE(ServerSentEventGenerator):
    """datastar-py's generator with every line checked for CR/LF before it is sent."""

    __slots__ = ()

    @override
    @classmethod
    def _send(
        cls,
        event_type: consts.EventType,
        data_lines: list[str],
        event_id: str | None = None,
        retry_duration: int | None = None,
    ) -> DatastarEvent:
        for field in (event_id or "", *data_lines):
            if any(ch in field for ch in _FORBIDDEN):
                raise ValueError(f"SSE field contains a line break: {field[:40]!r}")
        return super()._send(event_type, data_lines, event_id, retry_duration)


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


def sse_response(events: Iterable[DatastarEvent], *, headers: dict[str, str] | None = None) -> DatastarResponse:
    return DatastarResponse(list(events), headers=headers)
