"""MkDocs hooks (mkdocs.yml `hooks:`): the benchmark pages of `bench/` in the site.

The dated figures live beside the harness (`bench/RESULTS.md`, `bench/README.md`) and the
user documentation in `docs/`; both link to each other with paths relative to where the files
sit in the repository, so the links work when the files are read on a forge. The site holds
the bench pages under `bench/`, and each relative link of every page is re-aimed from its
repository path to its place in the site (a no-op for the pages of `docs/`). A link to a file
that is in neither place is left alone, so `mkdocs build --strict` still reports it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
BENCH_PAGES = ("bench/README.md", "bench/RESULTS.md")
LINK = re.compile(r"(\]\()([^)\s#]+)([^)]*\))")


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    for uri in BENCH_PAGES:
        files.append(File.generated(config, uri, abs_src_path=str(ROOT / uri)))
    return files


def _repo_path(src_uri: str) -> str:
    """Where a page of the site sits in the repository."""
    return src_uri if src_uri in BENCH_PAGES else f"docs/{src_uri}"


def _site_uri(repo_path: str) -> str | None:
    if repo_path in BENCH_PAGES:
        return repo_path
    if repo_path.startswith("docs/"):
        return repo_path.removeprefix("docs/")
    return None


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    here = posixpath.dirname(page.file.src_uri)
    repo_dir = posixpath.dirname(_repo_path(page.file.src_uri))

    def reaim(match: re.Match[str]) -> str:
        target = match.group(2)
        if "://" in target or target.startswith(("/", "mailto:")):
            return match.group(0)
        site_uri = _site_uri(posixpath.normpath(posixpath.join(repo_dir, target)))
        if site_uri is None:
            return match.group(0)
        return match.group(1) + posixpath.relpath(site_uri, here or ".") + match.group(3)

    return LINK.sub(reaim, markdown)
