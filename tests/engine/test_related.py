"""The article page: the reader's query marked in the text, and 関連する記事 (HTML and /api/articles)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from search_app.engine.related import RELATED_COUNT, paragraphs
from search_app.engine.snippets import Match
from tests.factories import indexed_fixture, marks, soup_of
from tests.pages import SAMPLE_PAGES, Page
from tests.pages import paragraphs as html_paragraphs

PAGES = {
    **SAMPLE_PAGES,
    "2024/markup.html": Page(
        title="経費の<b>メモ</b>",
        body_html=html_paragraphs(
            "経費の&lt;script&gt;alert(1)&lt;/script&gt;と&lt;mark&gt;偽&lt;/mark&gt;の本文。",
            "領収書の保管も経費精算のうちです。",
        ),
        date="2024-01-10",
        slug="markup",
    ),
    # Almost no text: related articles still come from its title, tags and category.
    "2024/short.html": Page(
        title="領収書",
        body_html="<p>短信。</p>",
        date="2024-04-01",
        tags=("領収書",),
        related=(),
        slug="short",
    ),
    "2024/empty.html": Page(
        title="お知らせ",
        body_html="<p>。</p>",
        date=None,
        category="総務",
        tags=(),
        related=(),
        slug="empty",
    ),
}


pages_client = indexed_fixture(PAGES, client=True)


def article_soup(client: FlaskClient, path: str, **params: str) -> BeautifulSoup:
    return soup_of(client, f"/articles/{path}", **params)


# ---------------------------------------------------------------- highlighting


@pytest.mark.parametrize(
    ("path", "q", "expected"),
    [
        ("2021/keihi.html", "経費精算", {"経費精算"}),
        ("2021/keihi.html", "領収書 タクシー", {"領収書", "タクシー"}),
        ("2022/nenmatsu.html", "ねんまつちょうせい", {"年末調整"}),  # kana, through the reading
        ("2020/inkan.html", "excel", {"Ｅｘｃｅｌ"}),  # full-width text, marked as written
        ("2019/mitsumori.html", "見積書 OR 消費税", {"見積書", "消費税"}),
    ],
)
def test_the_query_is_marked_in_the_text(pages_client: FlaskClient, path: str, q: str, expected: set[str]) -> None:
    soup = article_soup(pages_client, path, q=q)
    body = soup.select_one("article.article div.article-body")
    found = [m.get_text() for m in body.select("p mark")]
    assert expected <= set(found)
    # Marks only in the text: not in the title, the related list or the footer.
    assert len(soup.find_all("mark")) == len(found)
    assert all(not m.attrs for m in soup.find_all("mark"))


@pytest.mark.parametrize("q", [None, "", "   ", "存在しない語句", "-経費", "あ" * 1001, '"'])
def test_nothing_is_marked_without_a_usable_query(pages_client: FlaskClient, q: str | None) -> None:
    soup = article_soup(pages_client, "2021/keihi.html", **({} if q is None else {"q": q}))
    assert marks(soup) == []
    assert soup.select_one(".article-body p").get_text().startswith("経費精算の申請は")


def test_text_is_escaped_before_it_is_marked(pages_client: FlaskClient) -> None:
    soup = article_soup(pages_client, "2024/markup.html", q="経費")
    body = soup.select_one(".article-body")
    assert {t.name for t in body.find_all()} == {"p", "mark"}
    assert marks(soup) == ["経費", "経費"]  # the second paragraph's 経費精算 is one word, not 経費
    text = body.get_text()
    assert "<script>alert(1)</script>" in text
    assert "<mark>偽</mark>" in text
    assert not soup.select("script:not([src])")
    assert soup.find("h1").get_text() == "経費の<b>メモ</b>"


def test_paragraph_marks_use_offsets_into_the_whole_text() -> None:
    body = "一行目\n\n経費の行\n経費"
    lines = paragraphs(body, [Match(5, 7, "x"), Match(10, 12, "y")])
    assert [str(p) for p in lines] == ["一行目", "経費の行".replace("経費", "<mark>経費</mark>"), "<mark>経費</mark>"]
    assert [str(p) for p in paragraphs("<a>&", [])] == ["&lt;a&gt;&amp;"]


# ---------------------------------------------------------------- 関連する記事


@pytest.mark.parametrize("path", sorted(PAGES))
def test_related_articles_never_include_the_article(pages_client: FlaskClient, path: str) -> None:
    soup = article_soup(pages_client, path)
    section = soup.select_one("section.related")
    assert section is not None, "every article here shares a tag or a category with another"
    heading = section.find("h2")
    assert heading.get_text() == "関連する記事"
    assert section["aria-labelledby"] == heading["id"]
    links = section.select("ol > li > a")
    assert 1 <= len(links) <= RELATED_COUNT
    hrefs = [a["href"] for a in links]
    assert f"/articles/{path}" not in hrefs
    assert len(set(hrefs)) == len(hrefs)
    for a in links:
        assert a["href"].removeprefix("/articles/") in PAGES
        assert a.get_text()


def test_related_articles_are_the_similar_ones(pages_client: FlaskClient) -> None:
    soup = article_soup(pages_client, "2021/keihi.html")
    hrefs = [a["href"] for a in soup.select("section.related ol > li > a")]
    # It shares 経費精算 and 領収書 with its text and tags; the others share less.
    assert hrefs[0] == "/articles/2024/markup.html"
    item = soup.select_one("section.related ol > li")
    assert item.select_one("time")["datetime"]
    assert item.select_one(".category").get_text()


def test_an_article_with_little_text_gets_related_articles(pages_client: FlaskClient) -> None:
    soup = article_soup(pages_client, "2024/short.html")
    hrefs = [a["href"] for a in soup.select("section.related ol > li > a")]
    # 領収書 is its title and its tag: the articles about receipts.
    assert "/articles/2021/keihi.html" in hrefs


# ---------------------------------------------------------------- /api/articles/<path>


def test_article_json(pages_client: FlaskClient) -> None:
    response = pages_client.get("/api/articles/2021/keihi.html", query_string={"q": "経費精算"})
    assert response.status_code == 200
    data = response.json
    assert set(data) == {"path", "title", "url", "date", "category", "tags", "description", "paragraphs", "related"}
    assert (data["path"], data["date"], data["category"]) == ("2021/keihi.html", "2021-06-14", "経理")
    first = BeautifulSoup(data["paragraphs"][0], "html.parser")
    assert [m.get_text() for m in first.find_all("mark")] == ["経費精算"]
    assert 1 <= len(data["related"]) <= RELATED_COUNT
    assert all(set(r) == {"path", "title", "date", "category"} for r in data["related"])
    assert "2021/keihi.html" not in [r["path"] for r in data["related"]]


def test_article_json_escapes_the_text(pages_client: FlaskClient) -> None:
    data = pages_client.get("/api/articles/2024/markup.html").json
    assert data["title"] == "経費の<b>メモ</b>"  # JSON carries text; paragraphs are HTML
    assert data["paragraphs"][0].startswith("経費の&lt;script&gt;")


@pytest.mark.parametrize("path", ["nothing.html", "2021/keihi", "../etc/passwd"])
def test_unknown_article_json_is_a_404(pages_client: FlaskClient, path: str) -> None:
    response = pages_client.get(f"/api/articles/{path}")
    assert response.status_code == 404
    assert response.json["error"]
