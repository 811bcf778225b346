"""The real `ironstar serve` process: shutdown with open streams, and restart on the same data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REAL_STATIC, free_port, write_fake_assets

IRONSTAR = Path(sys.executable).parent / "ironstar"


class ServerProcess:
    def __init__(self, data_dir: Path, static_root: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "IRONSTAR_COOKIE_SECURE": "0",
            "IRONSTAR_LOG_LEVEL": "warning",
            "IRONSTAR_STATIC_ROOT": str(static_root),
        }
        self.process = subprocess.Popen(
            [str(IRONSTAR), "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
            env=env,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.process.kill()
        raise RuntimeError("server did not start")

    def terminate(self) -> float:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=10)
        return time.monotonic() - started


@pytest.fixture
def static_root(tmp_path: Path) -> Path:
    if (REAL_STATIC / "dist" / ".vite" / "manifest.json").is_file():
        return REAL_STATIC
    return write_fake_assets(tmp_path / "static")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_sigterm_ends_open_streams_and_exits_within_five_seconds(
    data_dir: Path, static_root: Path
) -> None:
    server = ServerProcess(data_dir, static_root)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.get("/")
        with client.stream("GET", "/api/todos", headers={"datastar-request": "true"}) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("event: datastar-patch-elements")
            elapsed = server.terminate()
            for _ in lines:  # drains only because the server ended the stream
                pass
    # uvicorn re-raises SIGTERM after a clean shutdown, as a well-behaved process should.
    assert server.process.returncode in {0, -signal.SIGTERM}
    assert elapsed < 5, f"shutdown took {elapsed:.1f}s"


def test_acknowledged_todos_survive_a_restart(data_dir: Path, static_root: Path) -> None:
    server = ServerProcess(data_dir, static_root)
    cookies: httpx.Cookies
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.get("/")
        for n in range(20):
            response = client.post("/api/todos", json={"input": f"todo {n}"})
            assert response.status_code == 200
        cookies = client.cookies
    server.process.send_signal(signal.SIGKILL)  # acknowledged means durable, even now
    server.process.wait(timeout=10)

    again = ServerProcess(data_dir, static_root)
    try:
        with httpx.Client(base_url=again.url, cookies=cookies, timeout=10) as client:
            html = client.get("/").text
            assert all(f"todo {n}<" in html for n in range(20))
            assert client.get("/healthz").json()["position"] == 20
            with client.stream(
                "GET", "/api/todos", headers={"datastar-request": "true", "last-event-id": "5"}
            ) as stream:
                event = "\n".join(_first_event(stream.iter_lines()))
            assert "id: 20" in event
            assert "todo 19" in event
    finally:
        again.terminate()


def _first_event(lines: Iterator[str]) -> list[str]:
    event: list[str] = []
    for line in lines:
        if not line and event:
            return event
        event.append(line)
    return event
