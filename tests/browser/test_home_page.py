"""Browsing from the home page in Chromium: the newest articles, a category's and a tag's listing, page by page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.reader import ARTICLE_URL, hit_dates, hits, no_horizontal_scroll, params, path_of, total

pytestmark = pytest.mark.browser


def browse_values(page: Page, section: str) -> Locator:
    return page.locator(f"main section.{section} a.browse-value")


def count_of(link: Locator) -> int:
    return int(re.sub(r"\D", "", link.locator("span.count").inner_text()))


def test_home_shows_the_newest_articles_and_opens_one(page: Page) -> None:
    page.goto("/")
    latest = page.locator("main section.latest ol > li")
    expect(latest).to_have_count(10)
    dates = latest.locator("time").evaluate_all("ts => ts.map(t => t.getAttribute('datetime'))")
    assert len(dates) == 10
    assert dates == sorted(dates, reverse=True)
    title = latest.nth(2).locator("a").inner_text()
    latest.nth(2).locator("a").click()
    page.wait_for_url(ARTICLE_URL)
    expect(page.locator("article h1")).to_have_text(title)


@pytest.mark.parametrize(("section", "name"), [("categories", "category"), ("tags", "tag")])
def test_a_category_or_tag_lists_its_articles_newest_first_across_pages(page: Page, section: str, name: str) -> None:
    page.goto("/")
    values = browse_values(page, section)
    expect(values.first).to_be_visible()
    # The biggest one: the bundled corpus's categories fill two pages, its tags a few articles.
    link = values.first
    value, count = link.get_attribute("data-value"), count_of(link)
    assert value
    assert count > (10 if name == "category" else 1)
    link.click()
    page.wait_for_url(re.compile(rf"[?&]{name}="))
    assert path_of(page) == "/search"
    assert params(page) == {name: [value]}
    assert total(page) == count
    expect(page.locator("p.count")).to_contain_text(f"「{value}」の記事")
    expect(page.locator(f'ul.chips a.chip[data-filter="{name}"][data-value="{value}"]')).to_be_visible()
    seen: list[str | None] = []
    while True:
        seen += hit_dates(page)
        if name == "category":
            expect(hits(page).locator("p.hit-meta .category")).to_have_text([value] * hits(page).count())
        else:
            for i in range(hits(page).count()):
                assert value in hits(page).nth(i).locator("p.hit-meta .tag").all_inner_texts()
        following = page.locator("nav.pagination a[rel=next]")
        if not following.count():
            break
        following.click()
        page.wait_for_url(re.compile(r"page="))
        assert params(page)[name] == [value]
    assert len(seen) == count
    dated = [d for d in seen if d is not None]
    assert dated == sorted(dated, reverse=True)
    assert seen[len(dated) :] == [None] * (len(seen) - len(dated))  # undated last


def test_home_fits_a_phone_with_the_box_first(phone_page: Page) -> None:
    page = phone_page
    page.goto("/")
    expect(page.locator("input#q")).to_be_in_viewport()
    expect(page.locator("main section.latest li").first).to_be_visible()
    assert no_horizontal_scroll(page)
