"""Static assets: `static_url()` from Vite's manifest, and a file endpoint that serves them.

Prod serves content-hashed files with a year of immutable caching and pre-compressed
variants; dev serves the unhashed watch build with `no-store`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

IMMUTABLE = "public, max-age=31536000, immutable"
NO_STORE = "no-store"
MOUNT = "/static"
# Best first: what we pick when the client accepts several.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


class AssetsMissingError(RuntimeError):
    pass


@dataclass(frozen=True)
class ManifestEntry:
    file: str
    css: tuple[str, ...] = ()


@dataclass
class Assets:
    """The built front-end: resolves manifest keys to URLs and serves the files."""

    root: Path
    dev: bool
    entries: dict[str, ManifestEntry] = field(default_factory=dict)
    icons: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path, *, dev: bool) -> Assets:
        manifest = root / ".vite" / "manifest.json"
        if not manifest.is_file():
            hint = "npm run dev" if dev else "make setup"
            raise AssetsMissingError(f"{manifest} not found: build the front-end ({hint})")
        raw: dict[str, dict[str, object]] = json.loads(manifest.read_text())
        entries = {key: _entry(value) for key, value in raw.items()}
        icons_file = root / "icons.json"
        icons: dict[str, str] = json.loads(icons_file.read_text()) if icons_file.is_file() else {}
        return cls(root=root.resolve(), dev=dev, entries=entries, icons=icons)

    def url(self, key: str) -> str:
        return f"{MOUNT}/{self.entry(key).file}"

    def css_urls(self, key: str) -> list[str]:
        return [f"{MOUNT}/{css}" for css in self.entry(key).css]

    def entry(self, key: str) -> ManifestEntry:
        try:
            return self.entries[key]
        except KeyError:
            raise AssetsMissingError(f"{key!r} is not in the asset manifest") from None

    @property
    def cache_control(self) -> str:
        return NO_STORE if self.dev else IMMUTABLE

    async def serve(self, request: Request) -> Response:
        path = self._resolve(str(request.path_params["path"]))
        headers = {"Cache-Control": self.cache_control, "Vary": "Accept-Encoding"}
        accepted = _accepted_encodings(request.headers.get("accept-encoding", ""))
        for encoding, suffix in ENCODINGS:
            variant = path.with_name(path.name + suffix)
            if encoding in accepted and variant.is_file():
                headers["Content-Encoding"] = encoding
                return FileResponse(variant, headers=headers, media_type=_media_type(path))
        return FileResponse(path, headers=headers, media_type=_media_type(path))

    def _resolve(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        # Refuse traversal, the manifest folder and direct requests for compressed twins.
        if (
            not path.is_relative_to(self.root)
            or ".vite" in path.parts
            or path.suffix in {".br", ".gz"}
            or not path.is_file()
        ):
            raise HTTPException(404)
        return path


def _entry(value: dict[str, object]) -> ManifestEntry:
    css = value.get("css", [])
    return ManifestEntry(
        file=str(value["file"]),
        css=tuple(str(c) for c in css) if isinstance(css, list) else (),
    )


def _accepted_encodings(header: str) -> set[str]:
    accepted = set()
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name and params.replace(" ", "") not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}:
            accepted.add(name.strip().lower())
    return accepted


def _media_type(path: Path) -> str | None:
    return {
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".svg": "image/svg+xml",
        ".json": "application/json",
        ".map": "application/json",
    }.get(path.suffix)
