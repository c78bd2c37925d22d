"""The search page in Chromium: type a query, read highlighted results, narrow, sort and page through them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.reader import (
    QUERY,
    chips,
    facet_count,
    facet_values,
    hit_dates,
    hit_titles,
    hits,
    params,
    params_of,
    search,
    total,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("query", "terms", "marked"),
    [
        (QUERY, ["管理"], "管理"),
        ("経費　精算", ["経費", "精算"], "経費"),  # a full-width space between the words
        ("見積書 OR 請求書", ["見積", "請求"], "見積"),
    ],
)
def test_typed_query_shows_highlighted_results(page: Page, query: str, terms: list[str], marked: str) -> None:
    search(page, query)
    assert params(page)["q"] == [query]
    expect(page.locator("input#q")).to_have_value(query)
    assert total(page) > 0
    expect(hits(page).first).to_be_visible()
    assert hits(page).count() == min(total(page), 10)
    expect(page.locator("p.terms .term").first).to_be_visible()
    assert set(terms) <= set(page.locator("p.terms .term").all_inner_texts())
    marks = page.locator("ol.results p.snippet mark")
    assert marks.count() > 0
    assert any(marked in text for text in marks.all_inner_texts())
    # The marks are real elements around escaped text, not tags shown as text.
    assert "<mark>" not in page.locator("ol.results").inner_text()


@pytest.mark.parametrize("facet", ["category", "tag", "year"])
def test_facet_narrows_results_and_its_chip_undoes_it(page: Page, facet: str) -> None:
    search(page, QUERY)
    before, titles_before = total(page), hit_titles(page)
    values = facet_values(page, facet)
    expect(values.first).to_be_visible()
    # The first value that really narrows the results (the sidebar lists the biggest first).
    link = next(values.nth(i) for i in range(values.count()) if facet_count(values.nth(i)) < before)
    value, count = link.get_attribute("data-value"), facet_count(link)
    assert value
    link.click()
    page.wait_for_url(re.compile(rf"[?&]{facet}="))
    assert params(page)[facet] == [value]
    assert params(page)["q"] == [QUERY]
    assert total(page) == count < before
    chip = page.locator(f'ul.chips > li > a.chip[data-filter="{facet}"][data-value="{value}"]')
    expect(chip).to_be_visible()
    expect(chip).to_have_accessible_name(re.compile(f"：{re.escape(value)} の絞り込みを外す"))
    expect(facet_values(page, facet).and_(page.locator(f'[data-value="{value}"]'))).to_have_attribute(
        "aria-current", "true"
    )
    if facet == "category":
        expect(hits(page).locator("p.hit-meta .category")).to_have_text([value] * hits(page).count())
    elif facet == "tag":
        for i in range(hits(page).count()):
            assert value in hits(page).nth(i).locator("p.hit-meta .tag").all_inner_texts()
    else:
        assert all(d is not None and d.startswith(value) for d in hit_dates(page))

    chip.click()
    page.wait_for_url(lambda url: f"{facet}=" not in url)
    assert params(page)["q"] == [QUERY]
    assert total(page) == before
    assert hit_titles(page) == titles_before
    expect(chips(page)).to_have_count(0)


@pytest.mark.parametrize(("sort", "descending"), [("newest", True), ("oldest", False)])
def test_sort_by_date_orders_every_page(page: Page, sort: str, descending: bool) -> None:
    search(page, QUERY)
    expect(page.locator('nav.sort a[data-sort="relevance"]')).to_have_attribute("aria-current", "true")
    page.locator(f'nav.sort a[data-sort="{sort}"]').click()
    page.wait_for_url(re.compile(rf"sort={sort}"))
    expect(page.locator(f'nav.sort a[data-sort="{sort}"]')).to_have_attribute("aria-current", "true")
    first = [d for d in hit_dates(page) if d]
    assert len(first) >= 2
    assert first == sorted(first, reverse=descending)
    page.locator("nav.pagination a[rel=next]").first.click()
    page.wait_for_url(re.compile(r"page=2"))
    assert params(page)["sort"] == [sort]
    second = [d for d in hit_dates(page) if d]
    assert second
    both = first + second
    assert both == sorted(both, reverse=descending)


@pytest.mark.parametrize(
    ("start", "kept"),
    [
        (f"/search?q={QUERY}", {"q": [QUERY]}),
        (
            f"/search?q={QUERY}&sort=newest&date_from=2019-01-01",
            {"q": [QUERY], "sort": ["newest"], "date_from": ["2019-01-01"]},
        ),
        # An empty query with a filter lists the filtered articles.
        ("/search?q=&date_to=2024-12-31", {"date_to": ["2024-12-31"]}),
    ],
)
def test_paging_forward_and_back_keeps_query_filters_and_sort(
    page: Page, start: str, kept: dict[str, list[str]]
) -> None:
    page.goto(start)
    assert total(page) > 10
    first_page = hit_titles(page)
    assert len(first_page) == 10
    expect(page.locator("nav.pagination a[rel=prev]")).to_have_count(0)
    page.locator("nav.pagination a[rel=next]").first.click()
    page.wait_for_url(re.compile(r"[?&]page=2"))
    for name, value in kept.items():
        assert params(page).get(name) == value, name
    expect(page.locator("ol.results")).to_have_attribute("start", "11")
    second_page = hit_titles(page)
    assert second_page
    assert not set(second_page) & set(first_page)
    for name, value in kept.items():
        if name not in {"q", "sort"}:
            expect(page.locator(f'a.chip[data-filter="{name}"][data-value="{value[0]}"]')).to_be_visible()
    page.locator("nav.pagination a[rel=prev]").first.click()
    page.wait_for_url(lambda url: "page=2" not in url)
    assert hit_titles(page) == first_page


@pytest.mark.parametrize(("field", "value"), [("date_from", "2022-01-01"), ("date_to", "2019-12-31")])
def test_date_range_form_filters_by_date(page: Page, field: str, value: str) -> None:
    search(page, QUERY)
    before = total(page)
    form = page.locator("form.date-range")
    form.locator(f"input[name={field}][type=date]").fill(value)
    form.locator("[type=submit]").click()
    page.wait_for_url(re.compile(rf"{field}={value}"))
    assert params(page)["q"] == [QUERY]
    assert 0 < total(page) < before
    dates = hit_dates(page)
    assert all(d is not None for d in dates)
    assert all((d[:10] >= value) if field == "date_from" else (d[:10] <= value) for d in dates if d)
    expect(page.locator(f'a.chip[data-filter="{field}"][data-value="{value}"]')).to_be_visible()


@pytest.mark.parametrize(("typo", "fixed"), [("経費清算", "経費精算"), ("健康信断", "健康診断")])
def test_did_you_mean_searches_the_corrected_query_keeping_the_order(page: Page, typo: str, fixed: str) -> None:
    page.goto(f"/search?q={typo}&sort=newest")
    link = page.locator("p.did-you-mean a")
    expect(link).to_have_text(fixed)
    link.click()
    page.wait_for_url(lambda url: typo not in params_of(url).get("q", [""])[0])
    assert params(page)["q"] == [fixed]
    assert params(page)["sort"] == ["newest"]
    expect(page.locator("input#q")).to_have_value(fixed)
    assert total(page) > 0
    assert any(fixed[:2] in text for text in page.locator("ol.results p.snippet mark").all_inner_texts())
    expect(page.locator("p.did-you-mean")).to_have_count(0)
