"""Filters, facets, sort, chips, state-keeping links and the Atom feed, over dated and undated articles."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections import Counter
from functools import partial
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient

from search_app.engine.facets import MAX_TAG_VALUES, Facet, Facets, FacetTable, count_facets, facet_table
from search_app.engine.narrowing import Filters, tag_term
from tests.factories import api_search, assert_refused, indexed_fixture, soup_of
from tests.pages import SAMPLE_PAGES, Page, paragraphs

ATOM = "{http://www.w3.org/2005/Atom}"

# The sample pages plus articles that share tags and categories across years, one of them undated.
FACET_PAGES: dict[str, Page] = {
    **SAMPLE_PAGES,
    "2024/invoice.html": Page(
        title="インボイスと経費の処理",
        body_html=paragraphs("インボイスの経費は適格請求書を確認します。"),
        date="2024-02-29",
        category="経理",
        tags=("経費精算", "インボイス"),
        slug="invoice",
    ),
    "2024/kotsuhi.html": Page(
        title="交通費の経費精算",
        body_html=paragraphs("交通費の経費は経路を書いて申請します。"),
        date="2024-12-31",
        category="総務",
        tags=("経費精算", "交通費"),
        slug="kotsuhi",
    ),
    "2018/kotsuhi-old.html": Page(
        title="交通費の精算ルール（旧版）",
        body_html=paragraphs("定期券の区間は経費になりません。"),
        date="2018-01-01",
        category="総務",
        tags=("交通費",),
        slug="kotsuhi-old",
    ),
    "memo/keihi-memo.html": Page(
        title="経費のメモ",
        body_html=paragraphs("経費の締め日をメモしておきます。"),
        date=None,
        category="経理",
        tags=("経費精算", "メモ"),
        slug="memo",
    ),
}


facet_app = indexed_fixture(FACET_PAGES)


@pytest.fixture
def fc(facet_app: Flask) -> FlaskClient:
    return facet_app.test_client()


api = partial(api_search, per_page=100)


def admits(hit: dict, params: dict) -> bool:
    """The filters' meaning, written out over a hit's fields (the oracle for the service)."""
    tags = params.get("tag", [])
    tags = [tags] if isinstance(tags, str) else tags
    date = hit["date"]
    if "category" in params and hit["category"] != params["category"]:
        return False
    if not set(tags) <= set(hit["tags"]):
        return False
    if any(k in params for k in ("year", "date_from", "date_to")) and date is None:
        return False
    if "year" in params and not date.startswith(params["year"] + "-"):
        return False
    if "date_from" in params and date < params["date_from"]:
        return False
    return not ("date_to" in params and date > params["date_to"])


def state(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


FILTERS = [
    {"category": "経理"},
    {"category": "総務"},
    {"category": "存在しない分類"},
    {"tag": "経費精算"},
    {"tag": ["経費精算", "交通費"]},
    {"tag": ["交通費", "メモ"]},
    {"year": "2024"},
    {"year": "2019"},
    {"date_from": "2022-01-01"},
    {"date_to": "2021-06-14"},
    {"date_from": "2024-02-29", "date_to": "2024-02-29"},
    {"category": "経理", "year": "2024"},
    {"tag": "経費精算", "date_from": "2021-01-01", "date_to": "2024-12-31"},
    {"year": "2024", "date_from": "2024-06-01"},
    {"year": "2024", "date_from": "2025-01-01"},
    {"category": "総務", "tag": "交通費", "year": "2018"},
]


@pytest.mark.parametrize("params", FILTERS, ids=str)
def test_filters_keep_exactly_the_matching_hits(fc: FlaskClient, params: dict) -> None:
    # One word (no relaxation): the filtered results are the unfiltered ones that pass the filters.
    everything = api(fc, q="経費", facets="false")["hits"]
    expected = {h["path"] for h in everything if admits(h, params)}
    result = api(fc, q="経費", **params)
    assert {h["path"] for h in result["hits"]} == expected
    assert result["total"] == len(expected)
    assert result["filters"]["category"] == params.get("category")
    assert result["filters"]["year"] == (int(params["year"]) if "year" in params else None)


@pytest.mark.parametrize("params", FILTERS, ids=str)
def test_empty_query_with_a_filter_lists_the_filtered_articles(fc: FlaskClient, params: dict) -> None:
    result = api(fc, q="", **params)
    listed = api(fc, q="", year="", category="")  # no filter: nothing listed
    assert listed["total"] == 0
    hits = result["hits"]
    assert all(admits(h, params) for h in hits)
    assert result["sort"] == "newest"
    dates = [h["date"] for h in hits if h["date"]]
    assert dates == sorted(dates, reverse=True)
    page = soup_of(fc, "/search", **params)
    assert page.select_one(".total").get_text() == str(result["total"])
    assert len(page.select("li.hit")) == len(hits)


def test_an_empty_query_with_a_category_lists_every_article_of_it(fc: FlaskClient) -> None:
    result = api(fc, category="経理")
    assert result["total"] == sum(p.category == "経理" for p in FACET_PAGES.values())
    assert result["hits"][-1]["path"] == "memo/keihi-memo.html"  # undated last


@pytest.mark.parametrize("q", ["経費", ""])
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_sorts_put_undated_articles_last(fc: FlaskClient, q: str, sort: str) -> None:
    result = api(fc, q=q, sort=sort, tag="経費精算")
    dates = [h["date"] for h in result["hits"]]
    assert result["sort"] == sort
    assert None in dates
    assert dates[-1] is None
    dated = dates[:-1]
    assert None not in dated
    assert dated == sorted(dated, reverse=sort == "newest")
    assert len(dated) >= 3


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_sort_does_not_change_the_result_set_or_total(fc: FlaskClient, sort: str) -> None:
    base = api(fc, q="経費")
    result = api(fc, q="経費", sort=sort)
    assert result["total"] == base["total"]
    assert {h["path"] for h in result["hits"]} == {h["path"] for h in base["hits"]}
    paged = [api(fc, q="経費", sort=sort, per_page=2, page=p)["hits"] for p in (1, 2, 3, 4)]
    assert [h["path"] for page in paged for h in page] == [h["path"] for h in result["hits"]]


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_date_filters_leave_undated_articles_out(fc: FlaskClient, sort: str) -> None:
    for params in ({"year": "2024"}, {"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}):
        hits = api(fc, q="経費", sort=sort, **params)["hits"]
        assert hits
        assert all(h["date"] for h in hits)


BASES = [{}, {"category": "経理"}, {"tag": "経費精算"}, {"year": "2024"}, {"date_to": "2022-12-31", "tag": "経費精算"}]


# Every query with every base, except no query and no filter (that lists nothing).
# A sentence (ranked as a whole, every article with one of its words) counts the same way.
FACET_QUERIES = ("経費", "", "交通費 OR 印鑑 OR 経費", "経費を月末に精算する")
FACET_CASES = [(q, base) for q in FACET_QUERIES for base in BASES if q or base]


@pytest.mark.parametrize(("q", "base"), FACET_CASES, ids=str)
def test_each_facet_count_is_the_total_its_filter_gives(fc: FlaskClient, q: str, base: dict) -> None:
    facets = api(fc, q=q, **base)["facets"]
    assert facets["category"] or facets["tag"] or facets["year"]
    for name, values in facets.items():
        for facet in values:
            params = dict(base)
            if name == "tag":
                tags = base.get("tag", [])
                params["tag"] = sorted({*([tags] if isinstance(tags, str) else tags), facet["value"]})
            else:
                params[name] = facet["value"]
            assert api(fc, q=q, **params)["total"] == facet["count"], (name, facet)


def test_facets_are_ordered_and_bounded(fc: FlaskClient) -> None:
    facets = api(fc, q="経費 OR 印鑑 OR 見積書 OR 年末調整 OR サーバ")["facets"]
    for name in ("category", "tag"):
        keys = [(-f["count"], f["value"]) for f in facets[name]]
        assert keys == sorted(keys)
    years = [f["value"] for f in facets["year"]]
    assert years == sorted(years, reverse=True)
    assert len(facets["tag"]) <= 20
    assert "経費精算" in [f["value"] for f in facets["tag"]]


def test_facets_can_be_left_out(fc: FlaskClient) -> None:
    assert "facets" not in api(fc, q="経費", facets="false")
    assert "facets" in api(fc, q="経費", facets="true")
    assert "facets" in api(fc, q="経費")
    assert api(fc, q="")["facets"] == {"category": [], "tag": [], "year": []}


def test_relaxation_works_within_the_filters(fc: FlaskClient) -> None:
    # No 経理 article has both words: the relaxed results stay inside the category.
    result = api(fc, q="経費 印鑑", category="経理")
    assert result["relaxed"] is True
    assert result["total"] > 0
    assert all(h["category"] == "経理" for h in result["hits"])
    assert result["dropped"] == ["印鑑"]


BAD = [
    ({"year": "20245"}, "year"),
    ({"year": "２０２４"}, "year"),
    ({"year": "0000"}, "year"),
    ({"year": "24"}, "year"),
    ({"date_from": "2024-02-30"}, "date_from"),
    ({"date_from": "2024-2-3"}, "date_from"),
    ({"date_to": "20240203"}, "date_to"),
    ({"date_to": "2024-02-03T00:00"}, "date_to"),
    ({"date_from": "2024-03-01", "date_to": "2024-02-01"}, "date_from"),
    ({"sort": "foo"}, "sort"),
    ({"sort": "Newest"}, "sort"),
    ({"tag": [f"タグ{i}" for i in range(11)]}, "tag"),
    ({"tag": [""] * 11}, "tag"),
    ({"category": "あ" * 101}, "category"),
    ({"tag": "あ" * 101}, "tag"),
    ({"category": "経理\x00"}, "category"),
    ({"facets": "yes"}, "facets"),
]


@pytest.mark.parametrize(("params", "fragment"), BAD, ids=str)
def test_bad_filter_values_are_a_400_with_a_message(fc: FlaskClient, params: dict, fragment: str) -> None:
    query = {"q": "経費", **params}
    assert_refused(fc, query, fragment)
    feed = fc.get("/search.atom", query_string=query)
    assert feed.status_code == 400
    assert feed.mimetype == "text/plain"
    assert fragment in feed.get_data(as_text=True)


def test_limits_at_the_edge_are_accepted(fc: FlaskClient) -> None:
    params = {"q": "経費", "tag": [f"タグ{i}" for i in range(10)], "category": "あ" * 100, "year": "9999"}
    assert api(fc, **params)["total"] == 0
    assert fc.get("/search", query_string=params).status_code == 200
    assert api(fc, q="経費", date_from="2024-02-29", date_to="2024-02-29")["total"] == 1


HTML_STATE = {
    "q": "経費",
    "category": "経理",
    "tag": ["経費精算", "インボイス"],
    "year": "2024",
    "date_from": "2024-01-01",
    "date_to": "2024-12-31",
    "sort": "oldest",
}


CHIP_LABELS = {"category": "カテゴリ", "tag": "タグ", "year": "年", "date_from": "開始日", "date_to": "終了日"}


def test_chips_remove_exactly_one_filter(fc: FlaskClient) -> None:
    page = soup_of(fc, "/search", **HTML_STATE, page=1)
    chips = page.select("ul.chips > li > a.chip")
    seen = {(c["data-filter"], c["data-value"]) for c in chips}
    assert seen == {
        ("category", "経理"),
        ("tag", "経費精算"),
        ("tag", "インボイス"),
        ("year", "2024"),
        ("date_from", "2024-01-01"),
        ("date_to", "2024-12-31"),
    }
    full = {k: v if isinstance(v, list) else [v] for k, v in HTML_STATE.items()}
    for chip in chips:
        name, value = chip["data-filter"], chip["data-value"]
        expected = {k: [x for x in v if not (k == name and x == value)] for k, v in full.items()}
        assert state(chip["href"]) == {k: v for k, v in expected.items() if v}
        # Named by its text, the visible label first (an aria-label without it failed WCAG 2.5.3).
        assert not chip.has_attr("aria-label")
        assert chip.get_text().startswith(f"{CHIP_LABELS[name]}：{value} の絞り込みを外す")
        assert chip.select_one(".visually-hidden").get_text() == " の絞り込みを外す"


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_pagination_links_keep_the_filters_and_sort(fc: FlaskClient, sort: str) -> None:
    params = {"q": "経費", "tag": "経費精算", "date_to": "2024-12-31", "sort": sort, "per_page": 1}
    page = soup_of(fc, "/search", **params, page=2)
    nav = page.select_one("nav.pagination")
    expected = {k: [str(v)] for k, v in params.items()}
    assert state(nav.select_one("a[rel=next]")["href"]) == {**expected, "page": ["3"]}
    assert state(nav.select_one("a[rel=prev]")["href"]) == expected  # page 1 is the default
    for link in nav.select("a"):
        assert {k: v for k, v in state(link["href"]).items() if k != "page"} == expected


def test_sort_links_keep_the_filters_and_mark_the_current_order(fc: FlaskClient) -> None:
    page = soup_of(fc, "/search", q="経費", category="経理", sort="newest", page=2, per_page=1)
    links = {a["data-sort"]: a for a in page.select("nav.sort a")}
    assert set(links) == {"relevance", "newest", "oldest"}
    assert [k for k, a in links.items() if a.get("aria-current") == "true"] == ["newest"]
    for key, link in links.items():
        # A new order starts again at page 1.
        assert state(link["href"]) == {"q": ["経費"], "category": ["経理"], "sort": [key], "per_page": ["1"]}


def test_facet_links_add_or_remove_their_filter(fc: FlaskClient) -> None:
    page = soup_of(fc, "/search", q="経費", tag="経費精算", sort="oldest")
    aside = page.select_one('aside.facets[aria-label="絞り込み"]')
    sections = {s["data-facet"]: s for s in aside.select("section.facet")}
    assert set(sections) == {"category", "tag", "year"}
    for name, section in sections.items():
        assert section.find("h2")
        for link in section.select("ul > li > a.facet-value"):
            value, target = link["data-value"], state(link["href"])
            assert link.select_one("span.count").get_text().isdigit()
            assert target["q"] == ["経費"]
            assert target["sort"] == ["oldest"]
            assert "page" not in target
            if name == "tag" and value == "経費精算":
                assert link["aria-current"] == "true"
                assert "tag" not in target
            elif name == "tag":
                assert target["tag"] == ["経費精算", value]
            else:
                assert link.get("aria-current") is None
                assert target[name] == [value]
                assert target["tag"] == ["経費精算"]


def test_date_range_form_keeps_the_other_state(fc: FlaskClient) -> None:
    page = soup_of(fc, "/search", q="経費", category="経理", tag="経費精算", sort="newest", date_from="2020-01-01")
    form = page.select_one("form.date-range")
    assert form.select_one("input[name=date_from][type=date]")["value"] == "2020-01-01"
    assert form.select_one("input[name=date_to][type=date]")["value"] == ""
    hidden = {(i["name"], i["value"]) for i in form.select("input[type=hidden]")}
    assert hidden == {("q", "経費"), ("category", "経理"), ("tag", "経費精算"), ("sort", "newest")}
    assert form.select_one("button[type=submit]")


def test_a_new_query_from_the_box_keeps_the_sort_but_not_the_filters(fc: FlaskClient) -> None:
    page = soup_of(fc, "/search", q="経費", category="経理", sort="oldest")
    form = page.select_one("form.search-form[role=search]")
    names = {i["name"] for i in form.select("input")}
    assert names == {"q", "sort"}
    assert form.select_one("input[name=sort]")["value"] == "oldest"
    plain = soup_of(fc, "/search", q="経費", category="経理")
    assert not plain.select("form.search-form input[name=sort]")


def test_result_pages_link_their_feed(fc: FlaskClient) -> None:
    page = soup_of(fc, "/search", q="経費", tag="経費精算", sort="oldest", page=2, per_page=1)
    link = page.select_one('head link[rel=alternate][type="application/atom+xml"]')
    assert urlsplit(link["href"]).path == "/search.atom"
    assert state(link["href"]) == {"q": ["経費"], "tag": ["経費精算"]}
    assert not soup_of(fc, "/").select('link[type="application/atom+xml"]')


@pytest.mark.parametrize("params", [{"q": "経費"}, {"q": "経費", "category": "経理"}, {"tag": "経費精算"}], ids=str)
def test_atom_feed_is_newest_first(fc: FlaskClient, params: dict) -> None:
    response = fc.get("/search.atom", query_string=params)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{name}").text
    rels = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert set(rels) == {"self", "alternate"}
    entries = feed.findall(f"{ATOM}entry")
    expected = api(fc, **params, sort="newest")["hits"]
    assert len(entries) == len(expected) > 0
    paths = [urlsplit(e.find(f"{ATOM}link").get("href")).path for e in entries]
    assert paths == [f"/articles/{h['path']}" for h in expected]
    updated = [e.find(f"{ATOM}updated").text for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert feed.find(f"{ATOM}updated").text == updated[0]
    for entry in entries:
        assert entry.find(f"{ATOM}id").text
        assert entry.find(f"{ATOM}title").text
        summary = entry.find(f"{ATOM}summary")
        assert summary.get("type") == "text"
        assert "<mark>" not in summary.text


def test_atom_feed_dates_undated_articles_at_the_epoch(fc: FlaskClient) -> None:
    feed = ET.fromstring(fc.get("/search.atom", query_string={"q": "メモ"}).data)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}updated").text for e in entries] == ["1970-01-01T00:00:00Z"]


@pytest.mark.parametrize("q", ['<経費 & "領収書">', "経費\x00\x1b", "]]><x>", ""])
def test_atom_feed_is_well_formed_for_any_query(fc: FlaskClient, q: str) -> None:
    response = fc.get("/search.atom", query_string={"q": q})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        feed = ET.fromstring(response.data)
        assert feed.find(f"{ATOM}title").text


def reference_counts(table: FacetTable, matched: list[int], filters: Filters) -> Facets:
    """The facet counts one document at a time, as a reader would count them by hand."""
    categories: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    years: Counter[int] = Counter()
    wanted = {tag_term(t) for t in filters.tags}
    bounds, range_only = filters.raw_date_bounds(), Filters(date_from=filters.date_from, date_to=filters.date_to)
    for docnum in matched:
        category = table.categories[table.category[docnum]] if table.category[docnum] >= 0 else ""
        doc_tags = [table.tag_names[t] for t, d in zip(table.tag_ids, table.tag_docs, strict=True) if d == docnum]
        date = int(table.dates[docnum]) if table.has_date[docnum] else None
        if not wanted.issubset(doc_tags):
            continue
        in_range = bounds is None or (date is not None and bounds[0] <= date <= bounds[1])
        if in_range and category:
            categories[category] += 1
        if filters.category and category != filters.category:
            continue
        if in_range:
            tags.update(doc_tags)
        only = range_only.raw_date_bounds()
        if date is not None and (only is None or only[0] <= date <= only[1]):
            years[int(table.years[docnum])] += 1
    return Facets(
        category=tuple(
            Facet(c, n, c == filters.category) for c, n in sorted(categories.items(), key=lambda i: (-i[1], i[0]))
        ),
        tag=tuple(Facet(t, n, t in wanted) for t, n in sorted(tags.items(), key=lambda i: (-i[1], i[0])))[
            :MAX_TAG_VALUES
        ],
        year=tuple(Facet(str(y), n, y == filters.year) for y, n in sorted(years.items(), reverse=True)),
    )


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(category="経理"),
        Filters(category="存在しない"),
        Filters(tags=("経費精算",)),
        Filters(tags=("経費精算", "交通費")),
        Filters(tags=("存在しない",)),
        Filters(year=2024),
        Filters(date_from=dt.date(2020, 1, 1)),
        Filters(date_from=dt.date(2018, 1, 1), date_to=dt.date(2024, 2, 29), category="総務"),
        Filters(year=2024, tags=("経費精算",), category="経理"),
    ],
    ids=str,
)
def test_counts_agree_with_counting_one_by_one(facet_app: Flask, filters: Filters) -> None:
    with facet_app.extensions["search_service"].handle.searcher() as searcher:
        table = facet_table(searcher)
        size = searcher.doc_count_all()
    every = np.ones(size, dtype=bool)
    some = np.zeros(size, dtype=bool)
    some[::2] = True
    for matched in (every, some):
        expected = reference_counts(table, np.flatnonzero(matched).tolist(), filters)
        assert count_facets(table, matched, filters) == expected
    assert count_facets(table, every, Filters()).category  # the sample has categories to count
