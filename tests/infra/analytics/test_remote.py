"""Remote data over httpfs: a Parquet (and CSV) file served by a local HTTP server."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ironstar.infra.analytics import (
    AnalyticsProjection,
    AnalyticsService,
    Filters,
    QueryCache,
    load_httpfs,
    remote_events,
    s3_secret,
)
from ironstar.infra.analytics import queries as q
from tests.infra.analytics.fixtures import make_events, type_counts


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def projection(tmp_path: Path) -> Iterator[AnalyticsProjection]:
    projection = AnalyticsProjection(tmp_path / "analytics.duckdb")
    yield projection
    projection.close()


async def test_the_service_reads_remote_parquet_over_http(
    served: tuple[str, Path], projection: AnalyticsProjection
) -> None:
    url, root = served
    events = make_events(2_000)
    projection.apply_batch(events)
    projection.conn.execute(f"COPY events TO '{root / 'events.parquet'}' (FORMAT parquet)")
    service = AnalyticsService([projection.cursor()], QueryCache())
    try:
        remote = await service.remote_event_mix(f"{url}/events.parquet")
        assert {r.event_type: r.count for r in remote} == type_counts(events)
        assert remote == await service.event_mix(Filters())
    finally:
        service.close()


def test_every_dashboard_query_runs_on_a_remote_file(
    served: tuple[str, Path], projection: AnalyticsProjection
) -> None:
    """A remote file has only `events`: `todos` is a view over it, same answers."""
    url, root = served
    projection.apply_batch(make_events(2_000))
    projection.conn.execute(f"COPY events TO '{root / 'events.parquet'}' (FORMAT parquet)")
    remote = remote_events(f"{url}/events.parquet")
    try:
        now, local = datetime(2026, 12, 1), projection.cursor()
        for query in (q.completion_times, q.summary, q.busiest_owners, q.activity):
            assert query(remote, Filters(), now) == query(local, Filters(), now)
    finally:
        remote.close()


async def test_the_service_reads_remote_csv(
    served: tuple[str, Path], projection: AnalyticsProjection
) -> None:
    url, root = served
    events = make_events(300)
    projection.apply_batch(events)
    projection.conn.execute(f"COPY events TO '{root / 'events.csv'}' (HEADER)")
    service = AnalyticsService([projection.cursor()], QueryCache())
    try:
        remote = await service.remote_event_mix(f"{url}/events.csv", "csv")
        assert {r.event_type: r.count for r in remote} == type_counts(events)
    finally:
        service.close()


def test_unknown_url_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match="scheme"):
        remote_events("file:///etc/passwd")


def test_a_quote_in_the_url_stays_inside_the_literal(served: tuple[str, Path]) -> None:
    url, _ = served
    with pytest.raises(Exception, match=r"HTTP|404|No files|IO"):
        remote_events(f"{url}/x.parquet'); DROP TABLE events; --").execute(
            "SELECT count(*) FROM events"
        ).fetchall()


def test_an_s3_secret_is_registered_with_quoted_values() -> None:
    conn = duckdb.connect()
    load_httpfs(conn)
    endpoint = "127.0.0.1:9"  # nothing listens: the error shows where DuckDB went
    s3_secret(conn, key_id="AK'IA", secret="s3cr3t", endpoint=endpoint, url_style="path")
    rows = conn.execute("SELECT name, type FROM duckdb_secrets()").fetchall()
    assert rows == [("ironstar_s3", "s3")]
    with pytest.raises(duckdb.IOException, match=r"127\.0\.0\.1:9/bucket/events\.parquet"):
        remote_events("s3://bucket/events.parquet", conn=conn)
    conn.close()
