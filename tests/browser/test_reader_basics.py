"""Every reader: without JavaScript, on a phone, by keyboard; and a console free of errors and CSP violations."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.reader import (
    ARTICLE_URL,
    PHONE,
    QUERY,
    SEARCH_URL,
    Problems,
    facet_values,
    hit_titles,
    hits,
    no_horizontal_scroll,
    params,
    search,
)

pytestmark = pytest.mark.browser


def open_start(page: Page) -> None:
    page.goto("/")


def open_results(page: Page) -> None:
    search(page, QUERY)


def open_filtered(page: Page) -> None:
    search(page, QUERY)
    facet_values(page, "category").first.click()
    page.wait_for_url(re.compile(r"category="))


def open_article(page: Page) -> None:
    search(page, QUERY)
    hits(page).first.locator("h2.hit-title a").click()
    page.wait_for_url(ARTICLE_URL)


def open_not_found(page: Page) -> None:
    page.goto("/articles/no/such/article.html")


SCREENS: dict[str, Callable[[Page], None]] = {
    "start": open_start,
    "results": open_results,
    "filtered": open_filtered,
    "article": open_article,
    "not-found": open_not_found,
}


def test_search_facet_and_paging_work_without_javascript(nojs_page: Page) -> None:
    page = nojs_page
    page.goto("/")
    page.locator("input#q").fill(QUERY)
    page.locator("form.search-form button[type=submit]").click()
    page.wait_for_url(SEARCH_URL)
    assert params(page)["q"] == [QUERY]
    assert len(hit_titles(page)) == 10
    assert page.locator("ol.results p.snippet mark").count() > 0
    expect(page.locator("ul#q-suggestions > li")).to_have_count(0)
    first_page = hit_titles(page)
    page.locator("nav.pagination a[rel=next]").first.click()
    page.wait_for_url(re.compile(r"page=2"))
    assert params(page)["q"] == [QUERY]
    assert hit_titles(page)
    assert not set(hit_titles(page)) & set(first_page)
    value = facet_values(page, "category").first.get_attribute("data-value")
    facet_values(page, "category").first.click()
    page.wait_for_url(re.compile(r"category="))
    assert params(page)["category"] == [value]
    assert params(page)["q"] == [QUERY]
    expect(page.locator("ul.chips a.chip[data-filter=category]")).to_be_visible()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_phone_width_has_no_sideways_scroll_and_a_visible_search_box(phone_page: Page, screen: str) -> None:
    page = phone_page
    SCREENS[screen](page)
    assert page.evaluate("window.innerWidth") == PHONE["width"]
    assert no_horizontal_scroll(page), page.evaluate("document.scrollingElement.scrollWidth")
    for selector in ("input#q", "form.search-form button[type=submit]"):
        control = page.locator(selector)
        expect(control).to_be_visible()
        box = control.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
    # Tap targets: the search box is big enough for a thumb.
    box = page.locator("input#q").bounding_box()
    assert box is not None
    assert box["height"] >= 32


@pytest.mark.parametrize("screen", ["results", "filtered"])
def test_phone_shows_the_first_result_on_the_first_screen(phone_page: Page, screen: str) -> None:
    # A reader who searched on a phone sees an answer, not only the 絞り込み lists, without scrolling.
    page = phone_page
    SCREENS[screen](page)
    expect(hits(page).first.locator("h2.hit-title a")).to_be_in_viewport()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_accessibility_smoke(page: Page, screen: str) -> None:
    SCREENS[screen](page)
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("main")).to_have_count(1)
    expect(page.locator("h1")).to_have_count(1)
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea")]
             .filter(el => !["hidden", "submit", "button", "reset"].includes(el.type))
             .filter(el => el.labels.length === 0 && !el.getAttribute("aria-label")
                           && !el.getAttribute("aria-labelledby"))
             .map(el => el.outerHTML)"""
    )
    assert unlabeled == []
    nameless = page.evaluate(
        """() => [...document.querySelectorAll("a[href], button")]
             .filter(el => !(el.innerText || "").trim() && !el.getAttribute("aria-label"))
             .map(el => el.outerHTML)"""
    )
    assert nameless == []
    images = page.locator("img:not([alt])")
    expect(images).to_have_count(0)


def focused(page: Page) -> str:
    """A short description of the element that has the keyboard focus."""
    return page.evaluate(
        "() => { const e = document.activeElement; return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')"
        " + (e.className ? '.' + e.className.split(' ').join('.') : ''); }"
    )


@pytest.mark.parametrize("screen", ["start", "results", "article"])
def test_tab_reaches_the_skip_link_then_the_search_box(page: Page, screen: str) -> None:
    SCREENS[screen](page)
    page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.keyboard.press("Tab")
    expect(page.locator("a.skip-link")).to_be_focused()
    expect(page.locator("a.skip-link")).to_be_in_viewport()
    # Only the header's own links may come between the skip link and the search box.
    seen = []
    for _ in range(3):
        page.keyboard.press("Tab")
        seen.append(focused(page))
        if seen[-1] == "input#q":
            break
        assert page.evaluate("() => document.activeElement.closest('header') !== null"), seen
    assert seen[-1] == "input#q", seen


def test_skip_link_moves_the_keyboard_to_the_main_content(page: Page) -> None:
    open_results(page)
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null"), focused(page)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_console_has_no_errors_or_csp_violations(
    request: pytest.FixtureRequest, problems: Problems, viewport: str
) -> None:
    reader: Page = request.getfixturevalue("page" if viewport == "desktop" else "phone_page")
    reader.goto("/")
    reader.locator("input#q").press_sequentially("けいひ", delay=120)
    expect(reader.locator("ul#q-suggestions > li[role=option]").first).to_be_visible()
    reader.locator("input#q").fill(QUERY)
    reader.locator("input#q").press("Enter")
    reader.wait_for_url(SEARCH_URL)
    facet_values(reader, "category").first.click()
    reader.wait_for_url(re.compile(r"category="))
    hits(reader).first.locator("h2.hit-title a").click()
    reader.wait_for_url(ARTICLE_URL)
    article = reader.url
    reader.locator("section.related ol > li > a").first.click()
    reader.wait_for_url(lambda url: url != article)
    reader.wait_for_load_state("load")
    # Scripts and styles only come from this site's own files, so nothing can have been refused.
    assert problems.messages == []


def test_the_console_check_hears_a_csp_violation(page: Page, problems: Problems) -> None:
    # The check above can fail: an inline script slipped into the real page (with the server's own
    # CSP header) is refused, and the refusal reaches the problem log.
    def inject(route: Route) -> None:
        response = route.fetch()
        body = response.text().replace("</body>", "<script>document.title = 'x';</script></body>")
        route.fulfill(response=response, body=body)

    page.route("**/", inject)
    page.goto("/")
    expect(page.locator("input#q")).to_be_visible()
    page.wait_for_load_state("load")
    assert any("CSP violation: script-src" in m for m in problems.messages), problems.messages
