"""The HTML pages, checked with BeautifulSoup."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from tests.factories import soup_of


def test_home_has_a_labelled_search_box(client: FlaskClient) -> None:
    soup = soup_of(client, "/")
    assert soup.html["lang"] == "ja"
    box = soup.find("input", attrs={"name": "q"})
    assert soup.find("label", attrs={"for": box["id"]})
    assert soup.find("main")
    assert not soup.select(".hit")


def test_results_page(client: FlaskClient) -> None:
    soup = soup_of(client, "/search", q="経費精算")
    assert soup.select_one(".total").get_text() == "2"
    hits = soup.select(".hit")
    assert len(hits) == 2
    first = hits[0]
    link = first.select_one(".hit-title a")
    assert link["href"].startswith("/articles/2021/keihi.html")
    assert [m.get_text() for m in link.find_all("mark")] == ["経費精算"]
    assert first.select_one("time")["datetime"] == "2021-06-14"
    assert first.select_one(".category").get_text() == "経理"
    assert [t.get_text() for t in first.select(".tag")] == ["経費精算", "領収書"]
    assert first.select_one(".snippet mark")
    assert [t.get_text() for t in soup.select(".term")] == ["経費", "精算"]
    assert soup.find("input", attrs={"name": "q"})["value"] == "経費精算"


def test_pagination_keeps_the_query(client: FlaskClient) -> None:
    soup = soup_of(client, "/search", q="経費 OR 見積書 OR 印鑑", per_page=1)
    nav = soup.select_one("nav.pagination")
    nxt = nav.select_one("a[rel=next]")
    assert "q=%E7%B5%8C%E8%B2%BB" in nxt["href"]
    assert "page=2" in nxt["href"]
    assert nav.select_one("[aria-current=page]").get_text() == "1"


@pytest.mark.parametrize("q", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "経費 <b>太字</b>"])
def test_user_strings_are_escaped(client: FlaskClient, q: str) -> None:
    response = client.get("/search", query_string={"q": q})
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>太字</b>" not in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("input", attrs={"name": "q"})["value"] == q


@pytest.mark.parametrize(("params", "status"), [({"q": "経費", "page": "x"}, 400), ({"q": "-経費"}, 400)])
def test_bad_input_gives_a_friendly_page(client: FlaskClient, params: dict, status: int) -> None:
    soup = soup_of(client, "/search", status, **params)
    assert soup.select_one(".error-message").get_text()


def test_no_results_message(client: FlaskClient) -> None:
    soup = soup_of(client, "/search", q="存在しない語句ですよ")
    assert soup.select_one(".total").get_text() == "0"
    assert soup.select_one(".empty")


def test_article_page(client: FlaskClient) -> None:
    soup = soup_of(client, "/articles/2020/inkan.html", q="印鑑")
    assert soup.find("h1").get_text() == "会社の印鑑の管理"
    paragraphs = [p.get_text() for p in soup.select(".article-body p")]
    assert paragraphs[0].startswith("実印と銀行印と角印")
    assert soup.select_one("time")["datetime"] == "2020-04-16"
    back = soup.select_one(".article-footer a[href^='/search']")
    assert "q=" in back["href"]


@pytest.mark.parametrize(
    "path",
    [
        "/articles/nothing.html",
        "/articles/../../etc/passwd",
        "/articles/%2e%2e/%2e%2e/etc/passwd",
        "/articles//etc/passwd",
    ],
)
def test_article_page_never_reads_files(client: FlaskClient, path: str) -> None:
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 404
    assert b"root:" not in response.data


def test_unknown_page_is_html_404(client: FlaskClient) -> None:
    soup = soup_of(client, "/nowhere", 404)
    assert soup.select_one(".error")
