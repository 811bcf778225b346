#!/usr/bin/env python3
"""Fetch the Datastar browser runtime into `web-components/vendor/datastar.js`.

Datastar 1.0 is not on npm. The full bundle (v1.0.1, every free plugin) ships inside the
`starhtml==0.7.0` wheel on PyPI as `starhtml/static/js/datastar-core.js`. This script
downloads that wheel once (cached in `~/.cache/ironstar/`), extracts the file, checks its
sha256 and writes it where Vite picks it up as the `vendor/datastar.js` entry.

- Idempotent: nothing is downloaded when the target already has the expected hash.
- `IRONSTAR_DATASTAR_JS=/path/to/datastar.js` copies that file instead (no hash check),
  for a newer Datastar or a Pro build.
- `--check` only verifies the current target; `--force` ignores target and cache.

Standard library only: it runs before any dependency is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

PACKAGE = "starhtml"
VERSION = "0.7.0"
MEMBER = "starhtml/static/js/datastar-core.js"
SHA256 = "31c8c9efb895beadeba5f73407c3ca60201dee321c5dea56c182817b475bde9f"
PYPI_JSON = f"https://pypi.org/pypi/{PACKAGE}/{VERSION}/json"
PYPI_PROJECT_JSON = f"https://pypi.org/pypi/{PACKAGE}/json"
ENV_OVERRIDE = "IRONSTAR_DATASTAR_JS"

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "web-components" / "vendor" / "datastar.js"
TIMEOUT_S = 60


class FetchError(RuntimeError):
    """Anything that stops us from producing a verified runtime."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ironstar"


def _get(url: str) -> bytes:
    if not url.startswith("https://"):
        raise FetchError(f"refusing non-HTTPS URL {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": "ironstar-fetch-datastar"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
        body: bytes = response.read()
        return body


def _release_files() -> list[dict[str, object]]:
    """The files of starhtml==VERSION: the per-version JSON API, else the project's list."""
    try:
        meta = json.loads(_get(PYPI_JSON))
        files: list[dict[str, object]] = meta.get("urls", [])
        if files:
            return files
    except urllib.error.HTTPError as exc:
        # Some mirrors answer 404 for /pypi/<name>/<version>/json but serve /pypi/<name>/json.
        print(f"fetch_datastar: {PYPI_JSON}: {exc}; trying the project index", file=sys.stderr)
    meta = json.loads(_get(PYPI_PROJECT_JSON))
    releases: dict[str, list[dict[str, object]]] = meta.get("releases", {})
    return releases.get(VERSION, [])


def wheel_info() -> tuple[str, str, str]:
    """The (filename, url, sha256) of the pure-Python wheel of starhtml==VERSION on PyPI."""
    for item in _release_files():
        filename = str(item.get("filename", ""))
        digests = item.get("digests")
        if item.get("packagetype") == "bdist_wheel" and isinstance(digests, dict):
            return filename, str(item["url"]), str(digests["sha256"])
    raise FetchError(f"no wheel for {PACKAGE}=={VERSION} on PyPI ({PYPI_PROJECT_JSON})")


def cached_wheel() -> Path | None:
    folder = cache_dir()
    matches = sorted(folder.glob(f"{PACKAGE}-{VERSION}-*.whl")) if folder.is_dir() else []
    return matches[0] if matches else None


def download_wheel() -> Path:
    filename, url, digest = wheel_info()
    print(f"fetch_datastar: downloading {filename}")
    data = _get(url)
    if sha256_of(data) != digest:
        raise FetchError(f"{filename}: download does not match the sha256 PyPI lists")
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    _atomic_write(path, data)
    return path


def extract(wheel: Path) -> bytes:
    try:
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(MEMBER)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise FetchError(f"{wheel}: cannot read {MEMBER}: {exc}") from exc


def verify(data: bytes, source: str) -> None:
    actual = sha256_of(data)
    if actual != SHA256:
        raise FetchError(
            f"sha256 mismatch for {source}\n"
            f"  expected {SHA256}\n"
            f"  actual   {actual}\n"
            f"The Datastar runtime is not the pinned v1.0.1 bundle from {PACKAGE}=={VERSION}. "
            f"Delete it and re-run, or set {ENV_OVERRIDE} to use your own file on purpose."
        )


def check_module(data: bytes, source: str) -> None:
    """Cheap sanity check: the runtime must be an ES module (it is loaded as type=module)."""
    text = data.decode("utf-8", errors="replace")
    if "export" not in text and "import" not in text:
        print(
            f"fetch_datastar: warning: {source} has no import/export; it may not be an ES module",
            file=sys.stderr,
        )


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=".tmp-") as tmp:
        tmp.write(data)
        name = tmp.name
    Path(name).chmod(0o644)
    Path(name).replace(path)


def _show(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def from_override(source: Path, target: Path) -> None:
    if not source.is_file():
        raise FetchError(f"{ENV_OVERRIDE}={source}: no such file")
    data = source.read_bytes()
    check_module(data, str(source))
    print(f"fetch_datastar: note: using {source} from {ENV_OVERRIDE}; the sha256 check is skipped")
    if target.is_file() and target.read_bytes() == data:
        return
    _atomic_write(target, data)


def from_pypi(target: Path, *, force: bool) -> None:
    if not force and target.is_file() and sha256_of(target.read_bytes()) == SHA256:
        print(f"fetch_datastar: {_show(target)} is up to date")
        return
    wheel = None if force else cached_wheel()
    if wheel is None:
        wheel = download_wheel()
    else:
        print(f"fetch_datastar: using cached {wheel}")
    try:
        data = extract(wheel)
        verify(data, f"{MEMBER} in {wheel.name}")
    except FetchError:
        if force:
            raise
        # A damaged cache should not need manual cleaning: fetch once more.
        print("fetch_datastar: cached wheel is unusable, downloading again", file=sys.stderr)
        data = extract(download_wheel())
        verify(data, f"{MEMBER} from PyPI")
    check_module(data, MEMBER)
    _atomic_write(target, data)
    print(f"fetch_datastar: wrote {_show(target)} (sha256 {SHA256[:12]}…)")


def check_only(target: Path) -> None:
    if not target.is_file():
        raise FetchError(f"{target} is missing: run scripts/fetch_datastar.py")
    verify(target.read_bytes(), str(target))
    print(f"fetch_datastar: {_show(target)} matches the pinned sha256")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only verify the current file")
    parser.add_argument("--force", action="store_true", help="ignore the target and the cache")
    parser.add_argument("--output", type=Path, default=TARGET, help=f"default: {TARGET}")
    args = parser.parse_args(argv)
    target: Path = args.output.resolve()
    override = os.environ.get(ENV_OVERRIDE, "").strip()
    try:
        if args.check:
            check_only(target)
        elif override:
            from_override(Path(override).expanduser(), target)
        else:
            from_pypi(target, force=args.force)
    except FetchError as exc:
        print(f"fetch_datastar: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # network down, disk full, permissions
        print(f"fetch_datastar: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
