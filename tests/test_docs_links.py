"""Docs stay navigable without building the site: relative links resolve, pages have titles.

The Starlight site (`make docs`) reads docs/*.md in place; it needs a `title:` in each
page's frontmatter and a sidebar entry. These checks are pure Python and take milliseconds,
so they run with every `make test` while the Node build does not.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
MARKDOWN = [ROOT / "README.md", *PAGES]
SITE_CONFIG = ROOT / "packages" / "docs" / "astro.config.mjs"

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
# [text](target "title") and ![alt](target); the target ends at whitespace or ")".
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)
FRONTMATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


def relative_targets(text: str) -> list[str]:
    text = INLINE_CODE.sub("", FENCE.sub("", text))
    targets = INLINE_LINK.findall(text) + REFERENCE.findall(text)
    return [t for t in targets if not EXTERNAL.match(t)]


def title_of(page: Path) -> str | None:
    match = FRONTMATTER.match(page.read_text(encoding="utf-8"))
    if match is None:
        return None
    for line in match.group(1).splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "title":
            return value.strip().strip("\"'") or None
    return None


def test_there_are_docs_pages() -> None:
    assert PAGES, "docs/*.md is empty"


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(path: Path) -> None:
    broken = []
    for target in relative_targets(path.read_text(encoding="utf-8")):
        file_part = target.split("#", 1)[0].split("?", 1)[0]
        if file_part and not (path.parent / file_part).exists():
            broken.append(target)
    assert broken == [], f"{path.relative_to(ROOT)} links to missing files: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_each_docs_page_has_a_title(page: Path) -> None:
    assert title_of(page), f"{page.name}: add `---\\ntitle: ...\\n---` at the top (Starlight)"


def test_every_docs_page_is_in_the_site_sidebar() -> None:
    config = SITE_CONFIG.read_text(encoding="utf-8")
    sidebar = config[config.index("sidebar:") :]
    listed = set(re.findall(r"'([\w-]+)'", sidebar))
    pages = {page.stem for page in PAGES}
    assert pages - listed == set(), "add these pages to the sidebar in astro.config.mjs"
    # A sidebar slug with no page fails the site build.
    slugs = set(re.findall(r"items:\s*\[([^\]]*)\]", sidebar, re.DOTALL))
    named = {s for group in slugs for s in re.findall(r"'([\w-]+)'", group)}
    assert named - pages == set(), "the sidebar names pages that do not exist in docs/"


def test_link_extraction_skips_code_and_external_links() -> None:
    text = (
        "[a](docs/a.md) [b](https://x.dev) [c](#top) ![i](img.png)\n"
        "`[d](no.md)`\n```\n[e](no.md)\n```\n[ref]: other.md#part\n"
    )
    assert relative_targets(text) == ["docs/a.md", "img.png", "other.md#part"]
