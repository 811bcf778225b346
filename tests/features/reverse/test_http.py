"""The Reverse page through the real app: all behaviour is client-side, so this checks the
wiring the browser relies on (the browser test checks the behaviour itself)."""

from __future__ import annotations

from html import unescape

import httpx

from tests.conftest import LiveServer


def test_the_page_binds_a_local_signal_to_the_component(live: LiveServer) -> None:
    response = httpx.get(f"{live.url}/reverse", timeout=10)
    assert response.status_code == 200
    html = unescape(response.text)
    assert "data-bind:_name" in html
    assert '<reverse-text id="reverse-shown"' in html
    assert 'data-attr:text="$_name"' in html
    assert 'data-on:reversed="$_reversed = evt.detail.value"' in html
    assert 'data-text="$_reversed"' in html
    assert '<label for="reverse-input">' in html
    assert 'href="/reverse" aria-current="page"' in html


def test_the_page_opens_no_stream_and_accepts_no_commands(live: LiveServer) -> None:
    html = httpx.get(f"{live.url}/reverse", timeout=10).text
    main = html.split('<main id="content"', 1)[1].split("</main>", 1)[0]
    assert "@get(" not in main
    assert "@post(" not in main
    assert httpx.post(f"{live.url}/reverse", json={}, timeout=10).status_code == 405
