"""The /test endpoint against Datastar SDK test-suite style cases, one per option."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import LiveServer

CASES: list[tuple[str, dict[str, object], str]] = [
    (
        "patch elements with defaults omitted",
        {
            "type": "patchElements",
            "elements": "<div>Merge</div>",
            "mode": "outer",
            "useViewTransition": False,
        },
        "event: datastar-patch-elements\ndata: elements <div>Merge</div>\n\n",
    ),
    (
        "patch elements with every option",
        {
            "type": "patchElements",
            "elements": "<div>Merge</div>",
            "eventId": "event1",
            "retryDuration": 2000,
            "selector": "div",
            "mode": "append",
            "useViewTransition": True,
        },
        "event: datastar-patch-elements\nid: event1\nretry: 2000\ndata: mode append\n"
        "data: selector div\ndata: useViewTransition true\ndata: elements <div>Merge</div>\n\n",
    ),
    (
        "multiline elements become one data line each",
        {"type": "patchElements", "elements": "<div>\n  <span>Merge</span>\n</div>"},
        "event: datastar-patch-elements\ndata: elements <div>\n"
        "data: elements   <span>Merge</span>\ndata: elements </div>\n\n",
    ),
    (
        "remove elements by selector",
        {
            "type": "patchElements",
            "selector": "#target",
            "mode": "remove",
            "eventId": "e",
            "retryDuration": 1000,
        },
        "event: datastar-patch-elements\nid: e\ndata: mode remove\ndata: selector #target\n\n",
    ),
    (
        "patch signals with every option",
        {
            "type": "patchSignals",
            "signals": {"one": 1, "two": 2},
            "eventId": "event1",
            "retryDuration": 2000,
            "onlyIfMissing": True,
        },
        "event: datastar-patch-signals\nid: event1\nretry: 2000\ndata: onlyIfMissing true\n"
        'data: signals {"one":1,"two":2}\n\n',
    ),
    (
        "patch signals with defaults omitted",
        {
            "type": "patchSignals",
            "signals": {"one": None, "two": {"alpha": None}},
            "onlyIfMissing": False,
        },
        'event: datastar-patch-signals\ndata: signals {"one":null,"two":{"alpha":null}}\n\n',
    ),
    (
        "raw signals keep their lines",
        {"type": "patchSignals", "signals-raw": '{\n"one": "first signal",\n"two":  \n"x"}'},
        'event: datastar-patch-signals\ndata: signals {\ndata: signals "one": "first signal",\n'
        'data: signals "two":  \ndata: signals "x"}\n\n',
    ),
    (
        "execute script with every option",
        {
            "type": "executeScript",
            "script": "console.log('hello');",
            "eventId": "event1",
            "retryDuration": 2000,
            "attributes": {"type": "text/javascript", "blocking": "false"},
            "autoRemove": False,
        },
        "event: datastar-patch-elements\nid: event1\nretry: 2000\ndata: mode append\n"
        'data: selector body\ndata: elements <script type="text/javascript" blocking="false">'
        "console.log('hello');</script>\n\n",
    ),
    (
        "execute script removes itself by default",
        {"type": "executeScript", "script": "if (true) {\n  go();\n}"},
        "event: datastar-patch-elements\ndata: mode append\ndata: selector body\n"
        'data: elements <script data-effect="el.remove()">if (true) {\n'
        "data: elements   go();\ndata: elements }</script>\n\n",
    ),
]


@pytest.mark.parametrize(("name", "case", "expected"), CASES, ids=[c[0] for c in CASES])
def test_get_case_answers_the_golden_event(
    live: LiveServer, name: str, case: dict[str, object], expected: str
) -> None:
    response = httpx.get(
        f"{live.url}/test",
        params={"datastar": json.dumps({"events": [case]})},
        headers={"datastar-request": "true", "accept": "text/event-stream"},
    )
    assert response.status_code == 200, name
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == expected


def test_post_reads_events_from_the_body_in_order(live: LiveServer) -> None:
    events = [
        {"type": "patchElements", "elements": "<div>Merge</div>"},
        {"type": "patchElements", "elements": "<div>Merge 2</div>"},
    ]
    response = httpx.post(
        f"{live.url}/test",
        json={"events": events},
        headers={"datastar-request": "true", "accept": "text/event-stream"},
    )
    assert response.status_code == 200
    assert response.text == (
        "event: datastar-patch-elements\ndata: elements <div>Merge</div>\n\n"
        "event: datastar-patch-elements\ndata: elements <div>Merge 2</div>\n\n"
    )


@pytest.mark.parametrize(
    "query",
    [
        "{not json",
        "[1, 2]",
        '{"events": 3}',
        '{"events": [{"type": "nope"}]}',
        '{"events": [{"type": "patchElements", "mode": "sideways"}]}',
        '{"events": [{"type": "patchSignals", "signals": {}, "retryDuration": "soon"}]}',
    ],
)
def test_malformed_cases_answer_400_with_a_message(live: LiveServer, query: str) -> None:
    response = httpx.get(f"{live.url}/test", params={"datastar": query})
    assert response.status_code == 400
    assert response.text


def test_an_event_id_with_a_line_break_cannot_forge_a_field(live: LiveServer) -> None:
    case = {"type": "patchSignals", "signals": {"a": 1}, "eventId": "1\nevent: evil"}
    response = httpx.get(f"{live.url}/test", params={"datastar": json.dumps({"events": [case]})})
    assert response.status_code == 400
    assert "\nevent: evil" not in response.text
