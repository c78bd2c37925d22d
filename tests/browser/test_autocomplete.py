"""Autocomplete in Chromium, by keyboard only: type a prefix, move with the arrows, pick with Enter."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.reader import SEARCH_URL, params

pytestmark = pytest.mark.browser

# Typed one key at a time, as a reader does; kana completes to the kanji words and titles.
PREFIXES = ["けいひ", "見積"]
TYPING_DELAY_MS = 120


def type_prefix(page: Page, prefix: str) -> None:
    """Open the start page and type `prefix` into the search box key by key."""
    page.goto("/")
    box = page.locator("input#q")
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_attribute("aria-autocomplete", "list")
    expect(box).to_have_attribute("aria-controls", "q-suggestions")
    box.click()
    # Each key asks /api/suggest again; the list must end up showing the answer for the whole prefix
    # (an earlier, shorter prefix's list may show for a moment while the last answer is on its way).
    with page.expect_response(lambda r: suggest_query(r.url) == prefix) as answer:
        box.press_sequentially(prefix, delay=TYPING_DELAY_MS)
    texts = [s["text"] for s in answer.value.json()["suggestions"]]
    assert texts, f"/api/suggest has nothing for {prefix}"
    expect(page.locator("ul#q-suggestions[role=listbox] > li[role=option]")).to_have_text(texts)
    expect(box).to_have_attribute("aria-expanded", "true")


def suggest_query(url: str) -> str | None:
    """The prefix an /api/suggest request asks about, None for any other request."""
    parts = urlsplit(url)
    return parse_qs(parts.query).get("q", [None])[0] if parts.path == "/api/suggest" else None


@pytest.mark.parametrize("prefix", PREFIXES)
def test_arrow_keys_move_the_highlight_and_enter_searches(page: Page, prefix: str) -> None:
    type_prefix(page, prefix)
    box = page.locator("input#q")
    options = page.locator("ul#q-suggestions > li[role=option]")
    assert 1 <= options.count() <= 8
    ids = [options.nth(i).get_attribute("id") for i in range(options.count())]
    assert all(ids)
    assert len(set(ids)) == len(ids)
    expect(page.locator('ul#q-suggestions > li[aria-selected="true"]')).to_have_count(0)

    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", ids[0] or "")
    if len(ids) > 1:
        box.press("ArrowDown")
        expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        expect(options.first).not_to_have_attribute("aria-selected", "true")
        expect(box).to_have_attribute("aria-activedescendant", ids[1] or "")
        box.press("ArrowUp")
        expect(options.first).to_have_attribute("aria-selected", "true")
        expect(box).to_have_attribute("aria-activedescendant", ids[0] or "")
    expect(page.locator('ul#q-suggestions > li[aria-selected="true"]')).to_have_count(1)
    chosen = options.first.inner_text().strip()
    expect(box).to_have_value(prefix)  # moving the highlight does not change what was typed

    box.press("Enter")
    page.wait_for_url(SEARCH_URL)
    picked = params(page)["q"][0]
    assert picked == chosen
    expect(page.locator("input#q")).to_have_value(picked)
    expect(page.locator("p.count .total")).to_be_visible()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_escape_closes_the_list_and_keeps_the_typed_text(page: Page, prefix: str) -> None:
    type_prefix(page, prefix)
    box = page.locator("input#q")
    box.press("ArrowDown")
    box.press("Escape")
    expect(page.locator("ul#q-suggestions > li[role=option]").first).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value(prefix)
    assert "/search" not in page.url


def test_enter_without_a_highlight_searches_what_was_typed(page: Page) -> None:
    type_prefix(page, "けいひ")
    page.locator("input#q").press("Enter")
    page.wait_for_url(SEARCH_URL)
    assert params(page)["q"] == ["けいひ"]
