"""What a reader does and sees, in the contract's selectors (/work/ui-contract.md, issue 5)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import ConsoleMessage, Error, Locator, Page, expect

# 37 of the 44 bundled articles mention 管理: four pages at 10 a page, seven categories, ten years.
QUERY = "管理"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
SEARCH_URL = re.compile(r"/search\?")
ARTICLE_URL = re.compile(r"/articles/")


def params_of(url: str) -> dict[str, list[str]]:
    """A URL's query parameters."""
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def params(page: Page) -> dict[str, list[str]]:
    """The current URL's query parameters."""
    return params_of(page.url)


def path_of(page: Page) -> str:
    """The current URL's path."""
    return urlsplit(page.url).path


def search(page: Page, query: str) -> None:
    """Type `query` into the search box on the start page and press Enter."""
    page.goto("/")
    box = page.locator("form.search-form[role=search] input#q[name=q]")
    box.fill(query)
    box.press("Enter")
    page.wait_for_url(SEARCH_URL)
    expect(page.locator("p.count .total")).to_be_visible()


def total(page: Page) -> int:
    """The number of hits the summary line reports."""
    return int(re.sub(r"\D", "", page.locator("p.count .total").inner_text()))


def hits(page: Page) -> Locator:
    return page.locator("ol.results > li.hit")


def hit_dates(page: Page) -> list[str | None]:
    """Each hit's datetime attribute, None for an undated hit, in page order."""
    return hits(page).evaluate_all(
        "lis => lis.map(li => { const t = li.querySelector('p.hit-meta time');"
        " return t ? t.getAttribute('datetime') : null; })"
    )


def hit_titles(page: Page) -> list[str]:
    return hits(page).locator("h2.hit-title a").all_inner_texts()


def facet_values(page: Page, facet: str) -> Locator:
    """The value links of one facet (category, tag or year) in the 絞り込み sidebar."""
    return page.locator(f'aside.facets[aria-label="絞り込み"] section.facet[data-facet="{facet}"] a.facet-value')


def facet_count(link: Locator) -> int:
    return int(re.sub(r"\D", "", link.locator("span.count").inner_text()))


def chips(page: Page) -> Locator:
    return page.locator("ul.chips > li > a.chip")


def no_horizontal_scroll(page: Page) -> bool:
    """Whether the page fits the viewport's width (nothing to scroll sideways)."""
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"))


@dataclass
class Problems:
    """What the browser complained about: console errors, uncaught exceptions, CSP violations."""

    messages: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.messages.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def page_error(self, error: Error) -> None:
        self.messages.append(f"uncaught: {error.message}")
