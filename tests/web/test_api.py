"""The JSON API: response shape, query semantics, bad input as 400, health, reloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from indexer.pipeline import run
from tests.factories import api_search, index_pages, indexed_client, make_app, marks, paths
from tests.pages import CHROME_WORDS, SAMPLE_PAGES, Page, paragraphs


def test_response_shape(client: FlaskClient) -> None:
    result = api_search(client, "経費精算")
    assert set(result) == {
        "query",
        "terms",
        "total",
        "page",
        "per_page",
        "relaxed",
        "dropped",
        "hits",
        "sort",
        "filters",
        "facets",
        "suggestion",
    }
    assert (result["relaxed"], result["dropped"]) == (False, [])
    assert result["query"] == "経費精算"
    assert result["terms"] == ["経費", "精算"]
    assert (result["page"], result["per_page"]) == (1, 10)
    hit = result["hits"][0]
    assert set(hit) == {"path", "title", "url", "date", "category", "tags", "score", "snippet", "partial"}
    assert hit["path"] == "2021/keihi.html"
    assert hit["date"] == "2021-06-14"
    assert hit["tags"] == ["経費精算", "領収書"]
    assert hit["url"] == "https://blog.example.jp/2021/06/keihi/"
    assert isinstance(hit["score"], float)
    assert "経費精算" in marks(hit["snippet"])


def test_title_match_ranks_above_body_match(client: FlaskClient) -> None:
    result = api_search(client, "経費精算")
    assert paths(result) == ["2021/keihi.html", "2022/nenmatsu.html"]  # title+body, then body only


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("見積書 有効期限", ["2019/mitsumori.html"]),  # words are ANDed
        ("見積書 OR 年末調整", ["2019/mitsumori.html", "2022/nenmatsu.html"]),
        ("経費精算 -年末調整", ["2021/keihi.html"]),
        ('"申告書を社員"', ["2022/nenmatsu.html"]),  # a phrase with a particle inside
        ('"社員を申告書"', []),
        ("title:印鑑", ["2020/inkan.html"]),
        ("title:台帳", []),  # only in the body
        ("tag:実印", ["2020/inkan.html"]),
        ("ＥＸＣＥＬ", ["2020/inkan.html"]),  # full-width query, full-width text
        ("excel", ["2020/inkan.html"]),
        ("ﾚｼｰﾄ", ["2021/keihi.html"]),  # half-width katakana in the text
        ("レシート", ["2021/keihi.html"]),
        ("印", ["2020/inkan.html"]),  # one-character word
        ("源泉徴収票", ["2022/nenmatsu.html"]),  # EUC-JP page
        ("共有フォルダ", ["2023/server.html"]),  # undeclared UTF-8, hard-wrapped line
    ],
)
def test_query_semantics(client: FlaskClient, q: str, expected: list[str]) -> None:
    assert sorted(paths(api_search(client, q))) == sorted(expected)


@pytest.mark.parametrize("word", [*CHROME_WORDS, "コメント限定語", "目次限定語"])
def test_page_chrome_is_not_searchable(client: FlaskClient, word: str) -> None:
    assert api_search(client, word)["total"] == 0


@pytest.mark.parametrize("q", ["", "   ", "\u3000", '"', "AND", "OR", "*", "()", "title:"])
def test_empty_queries_give_no_results(client: FlaskClient, q: str) -> None:
    result = api_search(client, q)
    assert result["total"] == 0
    assert result["hits"] == []


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"q": "経費", "page": "0"}, "page"),
        ({"q": "経費", "page": "x"}, "page"),
        ({"q": "経費", "per_page": "101"}, "per_page"),
        ({"q": "経費", "per_page": "-1"}, "per_page"),
        ({"q": "経費", "page": "99999"}, "page"),
        ({"q": "あ" * 1001}, "長すぎ"),
        ({"q": "-経費"}, "除外語"),
        ({"q": "(" * 50 + "経費"}, "入れ子"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client: FlaskClient, params: dict, fragment: str) -> None:
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 400
    assert fragment in response.json["error"]


@pytest.mark.parametrize("q", ['<script>alert("x")</script>', "経費 <img src=x onerror=alert(1)>", "&lt;経費&gt;"])
def test_user_strings_are_escaped(client: FlaskClient, q: str) -> None:
    result = api_search(client, q)
    assert result["query"] == q  # JSON carries the raw string; only HTML is escaped
    for hit in result["hits"]:
        soup = BeautifulSoup(hit["snippet"], "html.parser")
        assert {t.name for t in soup.find_all()} <= {"mark"}


def test_snippet_text_is_escaped(tmp_path: Path) -> None:
    page = Page(title="エスケープ", body_html=paragraphs("経費の&lt;script&gt;alert(1)&lt;/script&gt;という文字列。"))
    with indexed_client(tmp_path, {"x.html": page}) as client:
        snippet = api_search(client, "経費")["hits"][0]["snippet"]
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert snippet.startswith("<mark>経費</mark>")


def test_pagination(client: FlaskClient) -> None:
    first = api_search(client, "経費 OR 見積書 OR 印鑑", per_page=2)
    second = api_search(client, "経費 OR 見積書 OR 印鑑", per_page=2, page=2)
    assert first["total"] == second["total"] == 4
    assert len(first["hits"]) == 2
    assert len(second["hits"]) == 2
    assert not set(paths(first)) & set(paths(second))
    assert api_search(client, "経費", page=5)["hits"] == []


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert (body["status"], body["documents"]) == ("ok", len(SAMPLE_PAGES))
    assert set(body) == {"status", "documents", "index_age_seconds", "generation", "last_run"}


def test_unknown_api_route_is_json_404(client: FlaskClient) -> None:
    response = client.get("/api/nothing")
    assert response.status_code == 404
    assert "error" in response.json


def test_missing_index_is_503_then_recovers(tmp_path: Path) -> None:
    index = tmp_path / "index"
    client = make_app(index).test_client()
    assert client.get("/healthz").status_code == 503
    response = client.get("/api/search?q=経費")
    assert response.status_code == 503
    assert "error" in response.json
    assert index_pages(tmp_path, SAMPLE_PAGES) == index
    assert client.get("/healthz").json["documents"] == len(SAMPLE_PAGES)


def test_new_index_is_picked_up_without_restart(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", index_pages(tmp_path, SAMPLE_PAGES)
    client = make_app(index).test_client()
    assert api_search(client, "新製品")["total"] == 0
    (corpus / "new.html").write_bytes(Page(title="新製品の案内", body_html=paragraphs("新製品の説明。")).encoded())
    run(corpus, index, jobs=1)  # incremental: same generation, new segment
    assert paths(api_search(client, "新製品")) == ["new.html"]
    (corpus / "new.html").unlink()
    run(corpus, index, jobs=1, rebuild=True)  # a new generation swapped in
    assert api_search(client, "新製品")["total"] == 0
    assert client.get("/healthz").json["documents"] == len(SAMPLE_PAGES)
