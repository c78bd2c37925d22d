"""The article page in Chromium: arrive from a result, see the query marked, follow a related article."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.reader import ARTICLE_URL, QUERY, hits, params, path_of, search

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("query", "marked"), [(QUERY, "管理"), ("経費 精算", "経費")])
def test_result_opens_the_article_with_the_query_marked(page: Page, query: str, marked: str) -> None:
    search(page, query)
    link = hits(page).first.locator("h2.hit-title a")
    title = link.inner_text()
    link.click()
    page.wait_for_url(ARTICLE_URL)
    assert params(page)["q"] == [query]
    expect(page.locator("article.article h1")).to_have_text(title)
    expect(page.locator("article.article p.hit-meta")).to_be_visible()
    assert page.locator("div.article-body p").count() > 0
    marks = page.locator("div.article-body mark")
    assert marks.count() > 0
    assert any(marked in text for text in marks.all_inner_texts())
    assert "<mark>" not in page.locator("div.article-body").inner_text()


def test_article_without_query_has_no_marks(page: Page) -> None:
    search(page, QUERY)
    href = hits(page).first.locator("h2.hit-title a").get_attribute("href")
    assert href
    page.goto(href.split("?", 1)[0])
    expect(page.locator("article.article h1")).to_be_visible()
    expect(page.locator("div.article-body mark")).to_have_count(0)


def test_related_articles_lead_to_another_article(page: Page) -> None:
    search(page, QUERY)
    hits(page).first.locator("h2.hit-title a").click()
    page.wait_for_url(ARTICLE_URL)
    here, title = path_of(page), page.locator("article.article h1").inner_text()
    related = page.locator("section.related")
    expect(related).to_be_visible()
    heading_id = related.get_attribute("aria-labelledby")
    assert heading_id
    expect(related.locator(f"h2#{heading_id}")).to_have_text("関連する記事")
    links = related.locator("ol > li > a")
    assert 1 <= links.count() <= 5
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    assert all(ARTICLE_URL.search(h) for h in hrefs)
    assert all(h.split("?", 1)[0] != here for h in hrefs)
    assert len(set(hrefs)) == len(hrefs)
    first_title = links.first.inner_text()
    links.first.click()
    page.wait_for_url(lambda url: ARTICLE_URL.search(url) is not None and here not in url)
    assert path_of(page) != here
    expect(page.locator("article.article h1")).not_to_have_text(title)
    expect(page.locator("article.article h1")).to_have_text(re.compile(re.escape(first_title.strip()[:10])))


def test_back_link_returns_to_the_results(page: Page) -> None:
    search(page, QUERY)
    hits(page).first.locator("h2.hit-title a").click()
    page.wait_for_url(ARTICLE_URL)
    page.locator("footer.article-footer a", has_text="検索結果に戻る").click()
    page.wait_for_url(re.compile(r"/search\?"))
    assert params(page)["q"] == [QUERY]
