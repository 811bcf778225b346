"""User text inside payloads reaches the log and the time-travel view as escaped text,
never as markup and never inside a Datastar expression (`data-*` attribute)."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest

from tests.conftest import LiveServer
from tests.features.events.support import TIMEOUT, add, append_other, read_events

PAYLOADS = (
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "'+alert(1)+'",
    "${alert(1)}",
    "');alert(1);('",
    '"><svg onload=alert(1)>',
)


class Collector(HTMLParser):
    """Collects element names, attributes and text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def collect(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector


def assert_only_text(html: str) -> None:
    found = collect(html)
    assert not {"script", "img", "svg"} & set(found.tags)
    assert not any(name.startswith("on") for name, _ in found.attributes)
    for name, value in found.attributes:
        if name.startswith("data-"):
            assert "alert" not in (value or ""), (name, value)
    text = "".join(found.text)
    for payload in PAYLOADS:
        # JSON escapes `"` in the payload column; the rest is the literal text.
        assert payload.replace('"', '\\"') in text or payload in text, payload


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=TIMEOUT) as client:
        client.get("/events")
        yield client


def test_payloads_are_text_in_the_log(live: LiveServer, client: httpx.Client) -> None:
    for payload in PAYLOADS:
        add(client, payload)
    events = read_events(client, len(PAYLOADS))
    assert_only_text("".join(e.elements for e in events))
    assert "<script>" not in "".join(e.elements for e in events)


def test_aggregate_types_and_ids_are_text_too(live: LiveServer, client: httpx.Client) -> None:
    append_other(live, "<b>bold</b>", text="'+alert(1)+'")
    (event,) = read_events(client, 1)
    found = collect(event.elements)
    assert "b" not in found.tags
    assert "<b>bold</b>" in "".join(found.text)
    page = client.get("/events").text
    assert "<b>bold" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_payloads_are_text_in_time_travel(client: httpx.Client) -> None:
    for payload in PAYLOADS:
        last = add(client, payload)
    response = client.get("/api/events/at", params={"position": str(last)})
    assert response.status_code == 200
    elements = "\n".join(
        line.removeprefix("data: elements ")
        for line in response.text.splitlines()
        if line.startswith("data: elements ")
    )
    found = collect(elements)
    assert not {"script", "img", "svg"} & set(found.tags)
    for name, value in found.attributes:
        if name.startswith("data-") or name.startswith("on"):
            assert "alert" not in (value or ""), (name, value)
    text = "".join(found.text)
    for payload in PAYLOADS:
        assert payload in text
