"""`/test`: the Datastar SDK conformance endpoint (enabled by IRONSTAR_SDK_TEST=1).

Reads the `events` list from the signals and answers each one with the SSE event the SDK
ADR prescribes; the official suite compares the output with its golden files.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
from datastar_py.consts import ElementPatchMode
from datastar_py.sse import DatastarEvent
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ironstar.web.sse import SSE, read_signals_strict, sse_response


class TestCaseError(ValueError):
    """A test case the endpoint cannot turn into an event."""


async def sdk_test(request: Request) -> Response:
    try:
        signals = await read_signals_strict(request)
        events = list(_events(signals))
    except ValueError as exc:  # SignalsError, TestCaseError, or a CR/LF in a field
        return PlainTextResponse(str(exc), status_code=400)
    return sse_response(events)


def _events(signals: dict[str, Any]) -> Iterator[DatastarEvent]:
    cases = signals.get("events")
    if not isinstance(cases, list):
        raise TestCaseError("signals must hold an 'events' list")
    for case in cases:
        if not isinstance(case, dict):
            raise TestCaseError("each event must be an object")
        yield _event(case)


def _event(case: dict[str, Any]) -> DatastarEvent:
    kind = case.get("type")
    common = {
        "event_id": _optional_str(case, "eventId"),
        "retry_duration": _optional_int(case, "retryDuration"),
    }
    if kind == "patchElements":
        return SSE.patch_elements(
            _optional_str(case, "elements") or "",
            selector=_optional_str(case, "selector"),
            mode=_mode(case),
            use_view_transition=_optional_bool(case, "useViewTransition"),
            namespace=case.get("namespace"),
            **common,
        )
    if kind == "patchSignals":
        signals = case["signals-raw"] if "signals-raw" in case else case.get("signals", {})
        if not isinstance(signals, str | dict):
            raise TestCaseError("'signals' must be an object, 'signals-raw' a string")
        return SSE.patch_signals(
            signals, only_if_missing=_optional_bool(case, "onlyIfMissing"), **common
        )
    if kind == "executeScript":
        attributes = case.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise TestCaseError("'attributes' must be an object")
        return SSE.execute_script(
            str(case.get("script", "")),
            auto_remove=_optional_bool(case, "autoRemove") is not False,
            attributes={str(k): _attribute_text(v) for k, v in attributes.items()},
            **common,
        )
    raise TestCaseError(f"unknown event type {kind!r}")


def _mode(case: dict[str, Any]) -> ElementPatchMode | None:
    mode = case.get("mode")
    if mode is None:
        return None
    try:
        return ElementPatchMode(mode)
    except ValueError:
        raise TestCaseError(f"unknown mode {mode!r}") from None


def _optional_str(case: dict[str, Any], key: str) -> str | None:
    value = case.get(key)
    return None if value is None else str(value)


def _optional_int(case: dict[str, Any], key: str) -> int | None:
    value = case.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TestCaseError(f"{key!r} must be a number")
    return int(value)


def _optional_bool(case: dict[str, Any], key: str) -> bool | None:
    value = case.get(key)
    if value is not None and not isinstance(value, bool):
        raise TestCaseError(f"{key!r} must be true or false")
    return value


def _attribute_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()


routes = [Route("/test", sdk_test, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]
