"""The home page: the newest articles, the categories and the commonest tags with counts, and where they lead."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from indexer.pipeline import run
from search_app.engine.facets import MAX_TAG_VALUES
from search_app.engine.overview import LATEST_COUNT
from tests.factories import empty_index, index_pages, indexed_fixture, make_app, open_app, soup_of, write_corpus
from tests.pages import ADDED_PAGES, SAMPLE_PAGES, Page, paragraphs


def monthly(n: int) -> dict[str, Page]:
    """`n` articles a month apart from 2024-01, three categories in turn, two tags each out of 30."""
    pages = {}
    for i in range(n):
        date = f"{2024 + i // 12}-{i % 12 + 1:02d}-10"
        pages[f"monthly/{i:02d}.html"] = Page(
            title=f"月次の記録 第{i + 1}回",
            body_html=paragraphs(f"第{i + 1}回の月次の記録です。"),
            date=date,
            category=("経理", "総務", "人事")[i % 3],
            tags=(f"タグ{i % 30:02d}", f"タグ{(i * 7) % 30:02d}") if i % 30 != (i * 7) % 30 else (f"タグ{i % 30:02d}",),
            slug=f"monthly-{i}",
        )
    return pages


# The sample pages, 24 dated monthly articles (the newest in 2025-12), an undated one, and hostile strings.
HOME_PAGES: dict[str, Page] = {
    **SAMPLE_PAGES,
    **monthly(24),
    "memo/undated.html": Page(
        title="日付のないメモ", body_html=paragraphs("日付のないメモです。"), date=None, tags=("メモ",), slug="memo"
    ),
    "evil/evil.html": Page(
        title="<img src=x onerror=alert(1)>の話",
        body_html=paragraphs("本文です。"),
        date="2026-01-05",
        category="<b>総務</b>",
        tags=('"><script>alert(3)</script>',),
        slug="evil",
    ),
}


home_app = indexed_fixture(HOME_PAGES)


@pytest.fixture
def hc(home_app: Flask) -> FlaskClient:
    return home_app.test_client()


def by_date(pages: dict[str, Page]) -> list[str]:
    """Paths newest first, undated last (ties: any order)."""
    dated = sorted((p for p in pages if pages[p].date), key=lambda p: pages[p].date or "", reverse=True)
    return dated + [p for p in pages if not pages[p].date]


def expected_counts(pages: dict[str, Page], key: str) -> list[tuple[str, int]]:
    counts = Counter(v for p in pages.values() for v in ((p.category,) if key == "category" else p.tags))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def browse_links(page: BeautifulSoup, section: str) -> list[tuple[str, int]]:
    return [
        (a["data-value"], int(a.select_one(".count").get_text().replace("件", "").strip()))
        for a in page.select(f"section.{section} a.browse-value")
    ]


@pytest.mark.parametrize("url", ["/", "/search", "/search?q=+", "/search?q=%E3%80%80"])
def test_home_lists_the_newest_articles_first(hc: FlaskClient, url: str) -> None:
    page = soup_of(hc, url)
    items = page.select("section.latest ol > li")
    assert len(items) == LATEST_COUNT
    newest = by_date(HOME_PAGES)[:LATEST_COUNT]
    assert [li.a["href"] for li in items] == [f"/articles/{p}" for p in newest]
    assert [li.a.get_text() for li in items] == [HOME_PAGES[p].title for p in newest]
    for li, path in zip(items, newest, strict=True):
        assert li.select_one("time")["datetime"] == HOME_PAGES[path].date
        assert li.select_one(".category").get_text() == HOME_PAGES[path].category
    assert page.find("input", attrs={"name": "q"})
    assert page.select_one("section.intro h1")
    assert f"{len(HOME_PAGES)} 件の記事" in page.select_one("section.intro").get_text()


def test_home_counts_every_category_and_the_commonest_tags(hc: FlaskClient) -> None:
    page = soup_of(hc, "/")
    assert browse_links(page, "categories") == expected_counts(HOME_PAGES, "category")
    tags = browse_links(page, "tags")
    assert len(tags) == MAX_TAG_VALUES
    assert tags == expected_counts(HOME_PAGES, "tag")[:MAX_TAG_VALUES]


@pytest.mark.parametrize("section", ["categories", "tags"])
def test_home_links_lead_to_the_listing_newest_first_with_that_many_articles(hc: FlaskClient, section: str) -> None:
    name = "category" if section == "categories" else "tag"
    links = soup_of(hc, "/").select(f"section.{section} a.browse-value")
    assert len(links) == min(len(expected_counts(HOME_PAGES, name)), MAX_TAG_VALUES)
    for link in links:
        value, count = link["data-value"], int(link.select_one(".count").get_text().replace("件", "").strip())
        assert parse_qs(urlsplit(link["href"]).query) == {name: [value]}
        listing = hc.get(link["href"] + "&per_page=100").get_data(as_text=True)
        listed = BeautifulSoup(listing, "html.parser")
        assert int(listed.select_one(".total").get_text()) == count
        expected = [
            p
            for p in by_date(HOME_PAGES)
            if value in ((HOME_PAGES[p].category,) if name == "category" else HOME_PAGES[p].tags)
        ]
        paths = [a["href"].split("?")[0].removeprefix("/articles/") for a in listed.select(".hit-title a")]
        assert [HOME_PAGES[p].date for p in paths] == [HOME_PAGES[p].date for p in expected]
        assert set(paths) == set(expected)
        # The API lists the same.
        api = hc.get("/api/search", query_string={name: value, "per_page": 100}).json
        assert [h["path"] for h in api["hits"]] == paths


def test_category_listing_pages_through_newest_first(hc: FlaskClient) -> None:
    seen = []
    url = "/search?category=経理&per_page=3"
    while url:
        page = soup_of(hc, url)
        assert page.select_one("p.count").get_text().startswith("カテゴリ「経理」の記事")
        assert page.title.get_text().startswith("経理 の記事 | ")
        seen += [t["datetime"] for t in page.select(".hit time")]
        nxt = page.select_one("nav.pagination a[rel=next]")
        url = nxt["href"] if nxt else ""
        if url:
            assert parse_qs(urlsplit(url).query)["category"] == ["経理"]
    assert len(seen) == sum(1 for p in HOME_PAGES.values() if p.category == "経理" and p.date)
    assert seen == sorted(seen, reverse=True)


def test_home_escapes_indexed_strings(hc: FlaskClient) -> None:
    page = soup_of(hc, "/")
    assert not page.find_all(["img", "b"])
    assert all(s.get("src", "").startswith("/static/") and not s.string for s in page.find_all("script"))
    text = page.get_text()
    assert "<img src=x onerror=alert(1)>の話" in text
    assert "<b>総務</b>" in text
    evil = page.select_one('section.categories a[data-value="<b>総務</b>"]')
    assert parse_qs(urlsplit(evil["href"]).query) == {"category": ["<b>総務</b>"]}


def test_home_leaves_deleted_articles_out_and_shows_a_reindex(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", index_pages(tmp_path, SAMPLE_PAGES)
    with open_app(index) as app:
        client = app.test_client()
        before = soup_of(client, "/")
        assert before.select_one("section.latest li a").get_text() == "ファイルサーバをクラウドへ"
        # An article changed (its old copy deleted in the segment), one added, one removed.
        page = corpus / "2021/keihi.html"
        page.write_bytes(page.read_bytes().replace("タクシー代".encode(), "新幹線代".encode()))
        write_corpus(corpus, ADDED_PAGES)
        (corpus / "2019/mitsumori.html").unlink()
        run(corpus, index, jobs=1)
        after = soup_of(client, "/")
    titles = [li.a.get_text() for li in after.select("section.latest li")]
    assert titles == [
        "経費精算システムの導入",
        "ファイルサーバをクラウドへ",
        "年末調整の流れ",
        "経費精算のルールと差し戻し",
        "会社の印鑑の管理",
    ]
    live = {**{p: v for p, v in SAMPLE_PAGES.items() if p != "2019/mitsumori.html"}, **ADDED_PAGES}
    assert browse_links(after, "categories") == expected_counts(live, "category")
    assert browse_links(after, "tags") == expected_counts(live, "tag")


def test_home_is_built_once_per_index_generation(home_app: Flask) -> None:
    service = home_app.extensions["search_service"]
    assert service.overview() is service.overview()


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_home_without_articles_is_the_search_box_alone(tmp_path: Path, state: str) -> None:
    index = empty_index(tmp_path / "index") if state == "empty" else tmp_path / "missing"
    page = soup_of(make_app(index).test_client(), "/")
    assert page.find("input", attrs={"name": "q"})
    assert not page.select("section.latest, section.categories, section.tags")
