"""Japanese search behaviour: every analysis rule, ranking, synonyms, relaxation, the user dictionary."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from indexer.pipeline import run
from tests.factories import api_search, index_pages, indexed_app, indexed_fixture, marks, open_app, paths
from tests.pages import plain_page as page

PAGES = {
    "mynumber.html": page("番号カードの管理", "マイナンバーカードのコピーは保管しません。"),
    "keihi.html": page("月末の締め", "経費精算は月末に締めます。"),
    "far.html": page(
        "ばらばらの語", "経費の一覧です。" + "関係のない文章が続きます。" * 8 + "精算の方法は別の記事で。"
    ),
    "tokyo.html": page("支社の規則", "東京都の支社です。東京都の規則と東京都の条例に従います。東京都。"),
    "kyoto.html": page("出張の報告", "京都へ出張しました。"),
    "tax.html": page("税の話", "印紙税を納めます。書類に印を押します。"),
    "submit.html": page("手続き", "書類を提出した。"),
    "write.html": page("報告書", "報告書を書いた。"),
    "dashita.html": page("窓口", "申請書類を窓口に出しました。"),
    "reading.html": page("削減の話", "経費の削減に取り組みました。"),
    "phrase.html": page("配布", "申告書を社員に配布します。"),
    "server.html": page("移行", "古いサーバーを移行しました。"),
    "server2.html": page("保守", "サーバの保守をします。"),
    "iteration.html": page("準備", "色々な書類を準備します。"),
    "estimate.html": page("依頼", "見積りの依頼を受けました。"),
    "halfwidth.html": page("交通費", "ﾀｸｼｰ代のﾚｼｰﾄを添付します。"),
    "old.html": page("同じ記事", "有給休暇の記録です。", date="2018-01-01"),
    "new.html": page("同じ記事", "有給休暇の記録です。", date="2024-01-01"),
    "undated.html": page("日付のない記事", "有給休暇の取り方です。休暇届を出します。", date=None),
}


client = indexed_fixture(PAGES, client=True)


api = partial(api_search, per_page=100)


def marked(hit: dict) -> list[str]:
    return marks(hit["snippet"])


@pytest.mark.parametrize(
    ("query", "path", "mark"),
    [
        ("マイナンバー", "mynumber.html", "マイナンバー"),  # part of a compound
        ("精算", "keihi.html", "精算"),
        ("税", "tax.html", "税"),  # one-character words
        ("印", "tax.html", "印"),
        ("提出する", "submit.html", "提出"),  # inflected forms meet at the base form
        ("提出し", "submit.html", "提出"),
        ("提出します", "submit.html", "提出"),
        ("書く", "write.html", "書い"),
        ("書きます", "write.html", "書い"),
        ("けいひ", "reading.html", "経費"),  # reading search
        ("ケイヒ", "reading.html", "経費"),
        ("ｹｲﾋ", "reading.html", "経費"),
        ("サーバ", "server.html", "サーバー"),  # long-vowel variants
        ("サーバー", "server2.html", "サーバ"),
        ("色色", "iteration.html", "色々"),  # iteration marks
        ("いろいろ", "iteration.html", "色々"),
        ("タクシー", "halfwidth.html", "ﾀｸｼｰ"),  # half-width katakana
        ("ＴＡＸＩ", None, None),
    ],
)
def test_finds_and_marks(client: FlaskClient, query: str, path: str | None, mark: str | None) -> None:
    result = api(client, query)
    if path is None:
        assert result["total"] == 0
        return
    hits = {h["path"]: h for h in result["hits"]}
    assert path in hits, paths(result)
    assert any(mark in m for m in marked(hits[path])), marked(hits[path])


def test_ngram_matches_never_outrank_word_matches(client: FlaskClient) -> None:
    result = api(client, "京都")
    assert paths(result)[0] == "kyoto.html"  # 京都 the word, before 東京都 four times
    assert "tokyo.html" in paths(result)


def test_verbs_lift_matches_but_do_not_decide_them(client: FlaskClient) -> None:
    result = api(client, "書類を出した")
    assert result["relaxed"] is False
    assert paths(result)[0] == "dashita.html"  # 書類 and 出す
    assert "submit.html" in paths(result)  # 書類 without 出す still matches
    assert "write.html" not in paths(result)  # no 書類: the noun is required


def test_phrase_with_a_particle_inside(client: FlaskClient) -> None:
    assert paths(api(client, '"申告書を社員"')) == ["phrase.html"]
    assert paths(api(client, '"社員を申告書"')) == []


def test_words_standing_together_rank_first(client: FlaskClient) -> None:
    assert paths(api(client, "経費 精算"))[:2] == ["keihi.html", "far.html"]


def test_recency_breaks_ties(client: FlaskClient) -> None:
    result = api(client, "有給休暇 記録")
    assert paths(result) == ["new.html", "old.html"]
    assert result["hits"][0]["score"] == result["hits"][1]["score"]


def test_undated_articles_are_found(client: FlaskClient) -> None:
    result = api(client, "休暇届")
    assert paths(result) == ["undated.html"]
    assert result["hits"][0]["date"] is None
    assert len(api(client, "有給休暇")["hits"]) == 3


def test_synonyms_from_the_table(client: FlaskClient) -> None:
    result = api(client, "見積書")
    assert "estimate.html" in paths(result)
    assert "見積り" in marked(result["hits"][0])


def test_terms_show_how_the_query_was_split(client: FlaskClient) -> None:
    assert api(client, "経費精算の申告書を")["terms"] == ["経費", "精算", "申告", "書"]
    assert api(client, "けいひ")["terms"] == ["けいひ"]


def test_zero_hits_relax_and_say_what_was_dropped(client: FlaskClient) -> None:
    result = api(client, "経費精算 宇宙旅行")
    assert result["relaxed"] is True
    assert set(result["dropped"]) == {"宇宙", "旅行"}
    assert paths(result)[0] == "keihi.html"
    strict = api(client, "経費精算")
    assert (strict["relaxed"], strict["dropped"]) == (False, [])


def test_relaxation_keeps_words_that_occur_together(client: FlaskClient) -> None:
    # 印紙 and 書類 occur together (tax.html); 配布 occurs elsewhere, never with them.
    result = api(client, "印紙 書類 配布")
    assert result["relaxed"] is True
    assert result["dropped"] == ["配布"]
    assert paths(result)[0] == "tax.html"


def test_a_long_run_keeps_the_query_strict(client: FlaskClient) -> None:
    # サーバー is a short run; the rest is one run of more n-grams than a phrase may hold.
    # Leaving only the long run's n-grams out once made the query mean "サーバー" alone.
    result = api(client, "サーバー・移行した後で宇宙旅行の計画書と火星探査の報告書と木星観測の記録を月末までに提出する")
    assert result["relaxed"] is True
    assert "宇宙" in result["dropped"]


@pytest.mark.parametrize(
    ("query", "first", "partial"),
    [
        # A sentence: articles with only some of its words are listed too, and marked.
        ("書類を窓口に出しました", "dashita.html", "submit.html"),
        ("経費精算は月末に締めますか", "keihi.html", "far.html"),
        # Curly quotes inside a pasted headline quote its words; they make no phrase.
        ("“書類”を窓口に出しました", "dashita.html", "submit.html"),
    ],
)
def test_a_sentence_is_ranked_as_a_whole(client: FlaskClient, query: str, first: str, partial: str) -> None:
    result = api(client, query)
    assert result["relaxed"] is False
    assert paths(result)[0] == first
    flags = {h["path"]: h["partial"] for h in result["hits"]}
    assert flags[first] is False
    assert flags[partial] is True


def test_a_sentence_no_article_has_whole_names_the_words_it_lacks(client: FlaskClient) -> None:
    # 宇宙 is in no article: the sentence is still ranked, and the reader told what was missing.
    result = api(client, "書類を宇宙の窓口に出しました")
    assert result["relaxed"] is True
    assert "宇宙" in result["dropped"]
    assert "書類" not in result["dropped"]
    assert paths(result)[0] == "dashita.html"
    assert result["total"] == len(result["hits"]) > 1


def test_a_sentence_ranks_articles_with_more_of_it_first(client: FlaskClient) -> None:
    result = api(client, "書類を窓口に出しました")
    flags = [h["partial"] for h in result["hits"]]
    # Here every article with all the words comes before any with only some of them.
    assert flags == sorted(flags)


def test_a_sentence_sorted_by_date_needs_every_word(client: FlaskClient) -> None:
    response = client.get("/api/search", query_string={"q": "書類を窓口に出しました", "sort": "newest"})
    assert [h["path"] for h in response.json["hits"]] == ["dashita.html"]


@pytest.mark.parametrize("query", ["書類 窓口", "経費精算 月末", '"書類を窓口"'])
def test_keywords_must_all_match(client: FlaskClient, query: str) -> None:
    result = api(client, query)
    assert result["total"] == len(result["hits"]) >= 1
    assert not any(h["partial"] for h in result["hits"])


def test_a_sentence_shows_its_partial_matches_on_the_page(client: FlaskClient) -> None:
    soup = BeautifulSoup(client.get("/search", query_string={"q": "書類を窓口に出しました"}).text, "html.parser")
    hits = soup.select("ol.results > li.hit")
    assert hits[0].select_one(".partial-note") is None
    assert any(h.select_one(".partial-note") for h in hits[1:])


def test_nothing_matches_at_all(client: FlaskClient) -> None:
    result = api(client, "宇宙旅行 火星")
    assert result["total"] == 0
    assert result["relaxed"] is True


def test_the_page_shows_terms_and_dropped_words(client: FlaskClient) -> None:
    html = client.get("/search", query_string={"q": "経費精算 宇宙旅行"}).get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert [t.get_text() for t in soup.select(".term")] == ["経費", "精算", "宇宙", "旅行"]
    notice = soup.select_one(".relaxed").get_text()
    assert "宇宙" in notice
    assert "旅行" in notice


def test_user_dictionary_change_reindexes_only_what_it_affects(tmp_path: Path, monkeypatch) -> None:
    userdic = tmp_path / "userdic.csv"
    userdic.write_text("# empty for now\n", encoding="utf-8")
    monkeypatch.setenv("SEARCH_USER_DICT", str(userdic))
    corpus, index = tmp_path / "corpus", index_pages(tmp_path, PAGES)
    with open_app(index) as app:
        client = app.test_client()
        assert api(client, "経費精算")["terms"] == ["経費", "精算"]

        userdic.write_text("経費精算,名詞,ケイヒセイサン\n", encoding="utf-8")
        summary = run(corpus, index, jobs=1)
        assert summary.updated == 1  # only keihi.html contains 経費精算
        assert summary.unchanged == len(PAGES) - 1
        assert api(client, "経費精算")["terms"] == ["経費精算"]
        assert paths(api(client, "経費精算")) == ["keihi.html"]
        assert run(corpus, index, jobs=1).updated == 0

        userdic.write_text("", encoding="utf-8")
        assert run(corpus, index, jobs=1).updated == 1


def test_synonym_changes_need_no_reindex(tmp_path: Path, monkeypatch) -> None:
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("", encoding="utf-8")
    monkeypatch.setenv("SEARCH_SYNONYMS", str(synonyms))
    with indexed_app(tmp_path, PAGES) as app:
        app.extensions["search_service"].synonyms.interval = 0
        client = app.test_client()
        assert "reading.html" not in paths(api(client, "コスト"))
        synonyms.write_text("コスト = 経費\n", encoding="utf-8")
        assert "reading.html" in paths(api(client, "コスト"))
