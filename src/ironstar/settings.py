"""Typed settings, read once at start-up from the environment and an optional `.env` file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
from dotenv import dotenv_values

PREFIX = "IRONSTAR_"
PACKAGE_DIR = Path(__file__).resolve().parent


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    # Dev mode: unhashed assets with no-store, live reload, readable logs, no Secure cookies.
    dev: bool = False
    # Expose /test for the Datastar SDK conformance suite.
    sdk_test: bool = False
    log_level: str = "info"
    log_json: bool | None = None
    # A 2xx means the event survived power loss (synchronous=FULL); off trades that for speed.
    durable: bool = True
    max_body_bytes: int = 1024 * 1024
    heartbeat_seconds: float = 15.0
    session_ttl_seconds: int = 14 * 24 * 3600
    # Snapshot a stream's state every N events (SQLite store only; 0 turns snapshots off).
    snapshot_every: int = 100
    # postgresql://user:password@host/db: the event log lives in PostgreSQL (the
    # `postgres` extra) instead of the SQLite file; sessions, projection checkpoints and
    # analytics stay in the data directory.
    database_url: str | None = None
    # How often to look for events other processes appended to the store file (say,
    # `ironstar seed-demo` next to the server), to wake live views; 0 turns it off.
    outside_writes_seconds: float = 0.2
    # Allowed extra origins for commands (besides the request's own host), comma separated.
    trusted_origins: tuple[str, ...] = ()
    static_root: Path = PACKAGE_DIR / "static"
    # Secure session cookies; by default on outside dev mode.
    cookie_secure: bool | None = None

    @property
    def secure_cookies(self) -> bool:
        return not self.dev if self.cookie_secure is None else self.cookie_secure

    @property
    def database_path(self) -> Path:
        return self.data_dir / "ironstar.sqlite3"

    @property
    def analytics_path(self) -> Path:
        return self.data_dir / "analytics.duckdb"

    @property
    def assets_dir(self) -> Path:
        return self.static_root / ("dev" if self.dev else "dist")

    @property
    def json_logs(self) -> bool:
        return (not self.dev) if self.log_json is None else self.log_json


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = Path(".env"),
    **overrides: Any,
) -> Settings:
    """Merge `.env`, then the environment, then explicit overrides (CLI flags) into `Settings`."""
    raw: dict[str, Any] = {}
    if env_file is not None and env_file.is_file():
        raw.update(_strip_prefix(dotenv_values(env_file)))
    raw.update(_strip_prefix(os.environ if environ is None else environ))
    if "trusted_origins" in raw and isinstance(raw["trusted_origins"], str):
        raw["trusted_origins"] = [o.strip() for o in raw["trusted_origins"].split(",") if o.strip()]
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return msgspec.convert(raw, Settings, strict=False, dec_hook=_decode_path)
    except msgspec.ValidationError as exc:
        raise SystemExit(f"invalid setting: {exc}") from None


def _decode_path(kind: type, value: Any) -> Any:
    if kind is Path and isinstance(value, str | Path):
        return Path(value)
    raise NotImplementedError(kind)


def _strip_prefix(values: Mapping[str, str | None]) -> dict[str, Any]:
    return {
        key.removeprefix(PREFIX).lower(): value
        for key, value in values.items()
        if key.startswith(PREFIX) and value is not None
    }
