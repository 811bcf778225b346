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


def remote_events(url: str, fmt: RemoteFormat = "parquet") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose `events` view reads the remote file.

    The analytics queries run on it unchanged, as long as the file has the projection's
    columns (e.g. one written by `COPY events TO 'events.parquet'`).
    """
    if urlsplit(url).scheme not in SCHEMES:
        raise ValueError(f"unsupported URL scheme: {url!r}")
    conn = duckdb.connect(":memory:")
    try:
        load_httpfs(conn)
        # A view's source must be a literal; the URL is quoted, never interpolated raw.
        conn.execute(f"CREATE VIEW events AS SELECT * FROM {READERS[fmt]}('{_literal(url)}')")
    except BaseException:
        conn.close()
        raise
    return conn


def _literal(text: str) -> str:
    if "\0" in text:
        raise ValueError("NUL in a SQL literal")
    return text.replace("'", "''")
