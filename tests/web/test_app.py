"""Framework behaviour through the real app: health, assets, errors, cookies, headers."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import msgspec
import pytest

from ironstar.kernel import ConcurrencyError
from ironstar.settings import Settings
from tests.conftest import LiveServer


def test_healthz_reports_ok_and_the_last_position(live: LiveServer) -> None:
    assert httpx.get(f"{live.url}/healthz").json() == {"status": "ok", "position": 0}
    httpx.post(f"{live.url}/api/todos", json={"input": "one"})
    assert httpx.get(f"{live.url}/healthz").json()["position"] == 1


def test_pages_link_hashed_assets_served_immutable(live: LiveServer) -> None:
    html = httpx.get(f"{live.url}/").text
    for url in (
        "/static/assets/main-abc123.js",
        "/static/assets/datastar-abc123.js",
        "/static/assets/main-abc123.css",
        "/static/assets/favicon-abc123.svg",
    ):
        assert url in html
        response = httpx.get(live.url + url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_precompressed_variants_are_served_when_accepted(live: LiveServer) -> None:
    url = f"{live.url}/static/assets/main-abc123.js"
    gz = httpx.get(url, headers={"accept-encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in gz.headers["vary"].lower()
    plain = httpx.get(url, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == "/* src/main.ts */"


def test_dev_mode_serves_unhashed_assets_with_no_store(
    settings: Settings, make_live: Callable[[Settings], LiveServer]
) -> None:
    dev_dir = settings.static_root / "dev"
    (settings.static_root / "dist").rename(dev_dir)
    server = make_live(msgspec.structs.replace(settings, dev=True))
    response = httpx.get(f"{server.url}/static/assets/main-abc123.js")
    assert response.headers["cache-control"] == "no-store"
    assert "/_dev/reload?boot=" in httpx.get(f"{server.url}/").text


def test_static_paths_cannot_escape_the_build(live: LiveServer) -> None:
    for path in (
        "/static/../settings.py",
        "/static/.vite/manifest.json",
        "/static/nope.js",
        "/static/assets/main-abc123.js.gz",
    ):
        assert httpx.get(live.url + path).status_code == 404


def test_unknown_pages_render_a_404_in_the_layout(live: LiveServer) -> None:
    response = httpx.get(f"{live.url}/no/such/page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'class="site-header"' in response.text


def test_the_session_cookie_is_httponly_lax_and_secure_in_prod(
    settings: Settings, make_live: Callable[[Settings], LiveServer]
) -> None:
    server = make_live(msgspec.structs.replace(settings, cookie_secure=None))
    cookie = httpx.get(f"{server.url}/").headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


def test_responses_carry_security_headers(live: LiveServer) -> None:
    headers = httpx.get(f"{live.url}/").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_dev_reload_tells_stale_tabs_to_reload_and_swaps_css_in_place(
    settings: Settings, make_live: Callable[[Settings], LiveServer]
) -> None:
    dev_dir = settings.static_root / "dev"
    (settings.static_root / "dist").rename(dev_dir)
    server = make_live(msgspec.structs.replace(settings, dev=True))
    stale = httpx.get(f"{server.url}/_dev/reload?boot=older-process", timeout=5)
    assert '"_reload":true' in stale.text

    from ironstar.web.dev_reload import BOOT_ID

    with httpx.stream("GET", f"{server.url}/_dev/reload?boot={BOOT_ID}", timeout=10) as stream:
        time.sleep(0.3)  # let the watcher start
        (dev_dir / "assets" / "main-abc123.css").write_text("body{color:red}")
        lines = stream.iter_lines()
        data = next(line for line in lines if line.startswith("data: signals"))
    assert '"_css":' in data
    assert "_reload" not in data


def test_a_conflict_that_outlasts_the_retries_is_a_409_not_a_500(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def always_conflicting(*args: object, **kwargs: object) -> list[object]:
        raise ConcurrencyError("todo_list", "x", 1, 2)

    commands = live.app.state.services.commands
    monkeypatch.setattr(commands, "handle", always_conflicting)
    response = httpx.post(f"{live.url}/api/todos", json={"input": "x"})
    assert response.status_code == 409
    assert response.json() == {"error": "busy, try again"}


def test_a_datastar_request_for_a_missing_route_gets_json_not_a_page(live: LiveServer) -> None:
    headers = {"datastar-request": "true", "accept": "text/event-stream, text/html"}
    response = httpx.get(f"{live.url}/api/nope", headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
