"""axe-core (pinned in package-lock.json) over every kind of page, at desktop and phone widths: no violation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import new_context
from tests.browser.reader import ARTICLE_URL, DESKTOP, PHONE, QUERY, Problems, facet_values, hits, search, total

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_MISSING = f"axe-core not installed at {AXE}: `make test` installs it with npm (apt-get install npm)"
pytestmark = [pytest.mark.browser, pytest.mark.skipif(not AXE.is_file(), reason=AXE_MISSING)]
# Found by nothing in the bundled corpus, in words, n-grams or readings.
NO_SUCH_WORD = "qzxvwq"


def open_home(page: Page) -> None:
    page.goto("/")
    expect(page.locator("section.latest li").first).to_be_visible()


def open_results(page: Page) -> None:
    search(page, QUERY)


def open_filtered(page: Page) -> None:
    search(page, QUERY)
    facet_values(page, "category").first.click()
    page.wait_for_url(re.compile(r"category="))
    expect(page.locator("ul.chips a.chip").first).to_be_visible()


def open_category_listing(page: Page) -> None:
    open_home(page)
    page.locator("section.categories a").first.click()
    page.wait_for_url(re.compile(r"category="))
    expect(hits(page).first).to_be_visible()


def open_zero_results(page: Page) -> None:
    page.goto("/search?" + urlencode({"q": NO_SUCH_WORD}))
    assert total(page) == 0


def open_article(page: Page) -> None:
    search(page, QUERY)
    hits(page).first.locator("h2.hit-title a").click()
    page.wait_for_url(ARTICLE_URL)


PAGES: dict[str, Callable[[Page], None]] = {
    "home": open_home,
    "results": open_results,
    "filtered": open_filtered,
    "category": open_category_listing,
    "zero-results": open_zero_results,
    "article": open_article,
}


@pytest.fixture(params=[pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")])
def axe_page(request: pytest.FixtureRequest, browser: Browser, live_server: str) -> Iterator[Page]:
    """A page at one width, allowed to take axe's script in spite of the site's script-src 'self'."""
    phone = request.param is PHONE
    options: dict[str, object] = {"viewport": request.param, "bypass_csp": True}
    if phone:
        options.update(is_mobile=True, has_touch=True)
    context = new_context(browser, live_server, Problems(), **options)
    yield context.new_page()
    context.close()


def violations(page: Page) -> list[dict]:
    """axe.run() on the page as it stands: every violation with its nodes."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")


def describe(found: list[dict]) -> str:
    """One line per violation and one per node it was found on."""
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}" for node in v["nodes"])
    return "\n".join(lines)


@pytest.mark.parametrize("screen", PAGES)
def test_axe_finds_no_violation(axe_page: Page, screen: str) -> None:
    PAGES[screen](axe_page)
    found = violations(axe_page)
    assert not found, f"{axe_page.url}\n{describe(found)}"


def test_axe_reports_a_violation_it_is_shown(axe_page: Page) -> None:
    # The check can fail: an image without a text alternative slipped into the page is reported.
    open_home(axe_page)
    axe_page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')")
    found = violations(axe_page)
    assert [v["id"] for v in found] == ["image-alt"]
    assert "image-alt (critical)" in describe(found)
