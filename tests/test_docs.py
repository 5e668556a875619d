"""The README is the front door: each of its links leads somewhere, and it links to every page.

`make docs` (inside `make lint`) checks the links between the pages of the site with
`mkdocs build --strict`; the README is not part of the site, so its links are checked here.
"""

import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# Markdown links and images: [text](target) and ![alt](target), target without a title.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def site_pages() -> set[Path]:
    """Every page of the documentation site (mkdocs.yml: docs/, and bench/ by its hook)."""
    return {*ROOT.glob("docs/**/*.md"), ROOT / "bench/README.md", ROOT / "bench/RESULTS.md"}


def slug(heading: str) -> str:
    """A heading's anchor as Python-Markdown's toc makes it (and, for these headings, GitHub)."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", text, re.M)}


def relative_links(path: Path) -> list[tuple[str, Path, str]]:
    """(link as written, the file it names, its anchor) for each link to a file of the repo."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    links = []
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        links.append((target, resolved, anchor))
    return links


def test_slug_matches_the_anchors_mkdocs_makes() -> None:
    assert slug("Claimdesk and its peers (PEERS.md)") == "claimdesk-and-its-peers-peersmd"
    assert slug("Text the database can't store") == "text-the-database-cant-store"
    assert slug("Large scale, 2026-11-21") == "large-scale-2026-11-21"


def test_every_readme_link_leads_to_a_file_and_anchor_that_exist() -> None:
    links = relative_links(README)
    assert links, "the README links to no file"
    broken = [t for t, file, _ in links if not file.exists()]
    assert not broken, f"README links to files that do not exist: {broken}"
    no_anchor = [
        t
        for t, file, anchor in links
        if anchor and file.suffix == ".md" and anchor not in anchors(file)
    ]
    assert not no_anchor, f"README links to anchors that do not exist: {no_anchor}"


def test_readme_links_to_every_page_of_the_documentation() -> None:
    linked = {file for _, file, _ in relative_links(README)}
    missing = sorted(str(p.relative_to(ROOT)) for p in site_pages() - linked)
    assert not missing, f"pages the README does not link to: {missing}"


def test_readme_shows_a_screenshot_and_keeps_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert re.search(r"!\[[^\]]+\]\(docs/screenshots/[\w-]+\.png\)", text)
    assert re.search(r"^make run\s", text, re.M) and re.search(r"^make test\s", text, re.M)
    assert text.count("\n") <= 250, "the README is a front door, not the manual: 250 lines at most"
