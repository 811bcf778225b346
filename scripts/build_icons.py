#!/usr/bin/env python3
"""Inline the Lucide icons the Python code uses into `icons.json` for the asset folders.

Scans `src/ironstar/**/*.py` for `icon("name")` calls (also `icons.icon('name')` and
`icon(name="...")`) and for `icon="name"` keyword arguments (`NavEntry(..., icon="home")`,
rendered later with `icon(entry.icon)`), reads
`web-components/node_modules/lucide-static/icons/<name>.svg`, strips the license comment
and the `class` attribute, and writes
`src/ironstar/static/{dist,dev}/icons.json` as `{"name": "<svg ...>...</svg>"}` with only
the icons in use. The `icon()` helper in `ironstar.web.icons` adds `class` and aria
attributes when it renders one.

A name Lucide does not have fails the build (exit 1) with file, line and name, so a typo
never reaches a page. Names computed at run time cannot be checked.

Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "src" / "ironstar"
LUCIDE_DIR = ROOT / "web-components" / "node_modules" / "lucide-static" / "icons"
STATIC_DIR = ROOT / "src" / "ironstar" / "static"
TARGETS = ("dist", "dev")
FUNCTION = "icon"

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_CLASS_ATTR = re.compile(r"""\s+class\s*=\s*(?:"[^"]*"|'[^']*')""")
_BETWEEN_TAGS = re.compile(r">\s+<")
_SPACES = re.compile(r"\s+")
# Fallback for a file that does not parse (someone mid-edit): literal calls only.
_CALL = re.compile(r"""(?<![\w.])(?:\w+\.)?icon\(\s*(?:name\s*=\s*)?(["'])([^"'\\]+)\1""")
_KEYWORD = re.compile(r"""[(,]\s*icon\s*=\s*(["'])([^"'\\]+)\1""")


class IconError(RuntimeError):
    """A problem that must stop the build."""


@dataclass(frozen=True, order=True)
class Use:
    """One `icon("name")` call site."""

    path: Path
    line: int
    name: str

    def where(self) -> str:
        path = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{path}:{self.line}"


def _is_icon_call(node: ast.Call) -> bool:
    func = node.func
    return (isinstance(func, ast.Name) and func.id == FUNCTION) or (
        isinstance(func, ast.Attribute) and func.attr == FUNCTION
    )


def _name_argument(node: ast.Call) -> ast.expr | None:
    if node.args:
        return node.args[0]
    return next((kw.value for kw in node.keywords if kw.arg == "name"), None)


def scan_file(path: Path) -> tuple[list[Use], list[str]]:
    """The literal icon names used in one file, and warnings (computed names, parse errors)."""
    text = path.read_text(encoding="utf-8")
    warnings: list[str] = []
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        warnings.append(f"{path}:{exc.lineno}: does not parse; scanned with a regex instead")
        return [
            Use(path, text.count("\n", 0, match.start()) + 1, match.group(2))
            for pattern in (_CALL, _KEYWORD)
            for match in pattern.finditer(text)
        ], warnings
    uses: list[Use] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        # `NavEntry(..., icon="list-checks")`: a name handed to `icon()` later.
        uses.extend(
            Use(path, kw.value.lineno, kw.value.value)
            for kw in node.keywords
            if kw.arg == FUNCTION
            and isinstance(kw.value, ast.Constant)
            and isinstance(kw.value.value, str)
        )
        if not _is_icon_call(node):
            continue
        arg = _name_argument(node)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            uses.append(Use(path, node.lineno, arg.value))
        # A computed name (`icon(entry.icon)`) is checked where its literal is written:
        # an `icon="..."` keyword. Names built at run time are not checked at all.
    return uses, warnings


def scan(source_dir: Path) -> tuple[list[Use], list[str]]:
    uses: list[Use] = []
    warnings: list[str] = []
    for path in sorted(source_dir.rglob("*.py")):
        if any(part.startswith(".") or part == "__pycache__" for part in path.parts):
            continue
        file_uses, file_warnings = scan_file(path)
        uses.extend(file_uses)
        warnings.extend(file_warnings)
    return sorted(uses), warnings


def clean_svg(raw: str) -> str:
    """Lucide's file minus the license comment and `class`, on one line."""
    svg = _COMMENT.sub("", raw)
    svg = _CLASS_ATTR.sub("", svg, count=1)
    svg = _BETWEEN_TAGS.sub("><", svg.strip())
    svg = _SPACES.sub(" ", svg)
    return svg.replace(" >", ">").replace(" />", "/>")


def load_icons(uses: list[Use], lucide_dir: Path) -> dict[str, str]:
    if not lucide_dir.is_dir():
        raise IconError(
            f"{lucide_dir} not found: install the front-end dependencies "
            "(cd web-components && npm ci)"
        )
    icons: dict[str, str] = {}
    unknown: list[Use] = []
    for use in uses:
        if use.name in icons:
            continue
        svg_path = lucide_dir / f"{use.name}.svg"
        if not _NAME.match(use.name) or not svg_path.is_file():
            unknown.append(use)
            continue
        icons[use.name] = clean_svg(svg_path.read_text(encoding="utf-8"))
    if unknown:
        lines = [f"{use.where()}: unknown Lucide icon {use.name!r}" for use in unknown]
        hint = "see https://lucide.dev/icons/ for the names (lucide-static@1.62.0)"
        raise IconError("\n".join([*lines, hint]))
    return dict(sorted(icons.items()))


def write_json(path: Path, icons: dict[str, str]) -> bool:
    """Write `icons.json` if its content changed; drop compressed twins that went stale."""
    text = json.dumps(icons, indent=None, separators=(",", ":"), ensure_ascii=False) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    for suffix in (".br", ".gz"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return True


def ignore_in_git(folder: Path) -> None:
    """Build output is never committed: keep a `*` .gitignore in the folder we write."""
    marker = folder / ".gitignore"
    if not marker.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text("*\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Inline the Lucide icons in use.")
    parser.add_argument("--only", choices=TARGETS, help="write one asset folder, not both")
    parser.add_argument("--src", type=Path, default=SOURCE_DIR, help="Python sources to scan")
    parser.add_argument("--lucide", type=Path, default=LUCIDE_DIR, help="lucide-static icons")
    parser.add_argument("--static", type=Path, default=STATIC_DIR, help="asset root folder")
    parser.add_argument("--check", action="store_true", help="validate names, write nothing")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    args = parser.parse_args(argv)

    uses, warnings = scan(args.src)
    if not args.quiet:
        for warning in warnings:
            print(f"build_icons: warning: {warning}", file=sys.stderr)
    try:
        icons = load_icons(uses, args.lucide)
    except IconError as exc:
        print(f"build_icons: error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        print(f"build_icons: {len(icons)} icons OK")
        return 0
    targets = [args.only] if args.only else list(TARGETS)
    for target in targets:
        path: Path = args.static / target / "icons.json"
        changed = write_json(path, icons)
        ignore_in_git(path.parent)
        if not args.quiet:
            state = "wrote" if changed else "unchanged"
            print(f"build_icons: {state} {path} ({len(icons)} icons: {', '.join(icons)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
