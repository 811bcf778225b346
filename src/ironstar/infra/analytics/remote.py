"""Remote data: DuckDB's httpfs reads Parquet/CSV over HTTP(S), S3-compatible storage or `hf://`.

The extension comes from the `duckdb-extension-httpfs` wheel (same version as `duckdb`)
and is LOADed from its file: `INSTALL` would download it, which production hosts and
this build environment may not allow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import duckdb

from ironstar.infra.analytics._schema import TODOS_VIEW

type RemoteFormat = Literal["parquet", "csv"]
SCHEMES = frozenset({"http", "https", "s3", "r2", "gcs", "hf"})
READERS: dict[str, str] = {"parquet": "read_parquet", "csv": "read_csv_auto"}


def httpfs_path() -> Path:
    import duckdb_extension_httpfs

    root = Path(duckdb_extension_httpfs.__file__).parent / "extensions"
    return root / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"


def load_httpfs(conn: duckdb.DuckDBPyConnection) -> None:
    path = httpfs_path()
    if not path.is_file():
        raise RuntimeError(f"httpfs extension missing at {path}; install duckdb-extension-httpfs")
    conn.execute(f"LOAD '{_literal(str(path))}'")


def remote_events(
    url: str, fmt: RemoteFormat = "parquet", conn: duckdb.DuckDBPyConnection | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose `events` view reads the remote file.

    The analytics queries run on it unchanged, as long as the file has the projection's
    columns (e.g. one written by `COPY events TO 'events.parquet'`). Pass `conn` (with
    httpfs loaded and a secret, see `s3_secret`) for private buckets.
    """
    if urlsplit(url).scheme not in SCHEMES:
        raise ValueError(f"unsupported URL scheme: {url!r}")
    if conn is None:
        conn = duckdb.connect(":memory:")
        load_httpfs(conn)
    try:
        # A view's source must be a literal; the URL is quoted, never interpolated raw.
        conn.execute(f"CREATE VIEW events AS SELECT * FROM {READERS[fmt]}('{_literal(url)}')")
        conn.execute(TODOS_VIEW)  # the completion-time query's per-todo table, as a view
    except BaseException:
        conn.close()
        raise
    return conn


def s3_secret(
    conn: duckdb.DuckDBPyConnection,
    *,
    key_id: str,
    secret: str,
    region: str = "us-east-1",
    endpoint: str | None = None,
    url_style: Literal["vhost", "path"] | None = None,
) -> None:
    """Credentials for `s3://` URLs on this connection (AWS, MinIO, R2, B2 …).

    Take the values from settings, never from a request. `CREATE SECRET` takes no bound
    parameters, so each value is quoted as a SQL literal.
    """
    options = {"KEY_ID": key_id, "SECRET": secret, "REGION": region}
    if endpoint is not None:
        options["ENDPOINT"] = endpoint
    if url_style is not None:
        options["URL_STYLE"] = url_style
    body = ", ".join(f"{k} '{_literal(v)}'" for k, v in options.items())
    conn.execute(f"CREATE OR REPLACE SECRET ironstar_s3 (TYPE s3, {body})")


def _literal(text: str) -> str:
    if "\0" in text:
        raise ValueError("NUL in a SQL literal")
    return text.replace("'", "''")
