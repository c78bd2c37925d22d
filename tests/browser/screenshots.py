"""Screenshots for the README (`make screenshots`): the home, search and article pages at desktop and phone width."""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.chromium import chromium_path, missing_chromium_reason
from tests.factories import CORPUS, REPO, index_with_cli, serve

QUERY = "請求書"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1},
    "phone": {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True},
}
# A desktop page taller than this is cut: the README shows what a reader sees first and a little more
# (the whole article, down to 関連する記事, fits under the article's limit).
MAX_HEIGHT = {"home": 1800, "search": 1800, "article": 3600}
STEP_TIMEOUT_MS = 15_000


def shoot(page: Page, target: Path, full: bool) -> None:
    """Save the page (the viewport, or the whole page up to its MAX_HEIGHT) as a PNG."""
    if full:
        limit = MAX_HEIGHT[target.stem.split("-")[0]]
        height = min(int(page.evaluate("document.scrollingElement.scrollHeight")), limit)
        width = int(page.evaluate("window.innerWidth"))
        page.screenshot(path=target, full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
    else:
        page.screenshot(path=target)
    print(f"wrote {target.relative_to(REPO) if target.is_relative_to(REPO) else target}")


def reader_visit(browser: Browser, base: str, kind: str, out: Path, query: str) -> None:
    """Open the home page, search as a reader, then open the first result; one screenshot of each page."""
    context = browser.new_context(base_url=base, locale="ja-JP", **VIEWPORTS[kind])  # type: ignore[arg-type]
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/")
    page.locator("section.latest li").first.wait_for()
    shoot(page, out / f"home-{kind}.png", full=kind == "desktop")
    page.locator("input#q").fill(query)
    page.locator("input#q").press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    page.locator("ol.results > li.hit").first.wait_for()
    shoot(page, out / f"search-{kind}.png", full=kind == "desktop")
    page.locator("ol.results > li.hit h2.hit-title a").first.click()
    page.wait_for_url(re.compile(r"/articles/"))
    page.locator("article.article h1").wait_for()
    if kind == "phone":
        # Bring the first highlighted word into view (when it is below the fold), as a reader scrolling would.
        mark = page.locator("div.article-body mark").first
        if mark.count():
            mark.evaluate(
                "m => { const r = m.getBoundingClientRect();"
                " if (r.bottom > innerHeight) window.scrollTo(0, r.top + scrollY - 240); }"
            )
    shoot(page, out / f"article-{kind}.png", full=kind == "desktop")
    context.close()


def build_parser() -> argparse.ArgumentParser:
    """Command line of the screenshot script."""
    parser = argparse.ArgumentParser(prog="python -m tests.browser.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="folder for the PNGs (default: docs/)")
    parser.add_argument("--query", default=QUERY, help="what the reader searches for (default: %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Index the bundled corpus, serve it, and photograph a reader's visit."""
    args = build_parser().parse_args(argv)
    executable = chromium_path()
    if executable is None:
        print(f"screenshots: {missing_chromium_reason()}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        work = Path(tmp)
        index = index_with_cli(CORPUS, work / "index")
        with serve(index, work / "server.log") as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, headless=True)
            for kind in VIEWPORTS:
                reader_visit(browser, base, kind, args.out, args.query)
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
