"""Search-box completions (/api/suggest), もしかして, and the OpenSearch description."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from indexer.analysis import japanese_analyzer
from indexer.pipeline import run
from search_app.engine.analysed import analyse
from search_app.engine.completions import MAX_SUGGESTIONS, Collected, collect, edit_distance
from search_app.engine.didyoumean import MAX_COUNTS, plain_words, suggest_query
from search_app.engine.syntax import parse_query
from tests.factories import index_searcher, indexed_client, make_app, open_app, write_corpus
from tests.pages import SAMPLE_PAGES, Page, paragraphs

OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def suggest(client: FlaskClient, q: str, **params: str) -> list[dict]:
    response = client.get("/api/suggest", query_string={"q": q, **params})
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/json"
    assert response.json["query"] == q
    return response.json["suggestions"]


def texts(found: list[dict]) -> list[str]:
    return [s["text"] for s in found]


# ---------------------------------------------------------------- /api/suggest


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("経費", "経費精算"),
        ("年末", "年末調整"),
        ("見積", "見積書"),
        ("印", "印鑑"),
        ("ｅｘ", "excel"),  # full-width input, NFKC-normalized
        ("EX", "excel"),
        ("源泉", "源泉徴収票"),
    ],
)
def test_prefix_completes_to_index_words(client: FlaskClient, typed: str, expected: str) -> None:
    found = suggest(client, typed)
    assert expected in texts(found)
    for s in found:
        assert s["kind"] in ("title", "term")
        assert (s["path"] is not None) == (s["kind"] == "title")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("けいひ", "経費"),
        ("けいひせい", "経費精算"),
        ("ケイヒ", "経費"),
        ("ねんまつ", "年末調整"),
        ("みつもりしょ", "見積書"),
        ("いんか", "印鑑"),
        ("ｹｲﾋ", "経費"),  # half-width katakana
        ("さーば", "サーバ"),
    ],
)
def test_kana_input_completes_through_readings(client: FlaskClient, typed: str, expected: str) -> None:
    assert expected in texts(suggest(client, typed))


@pytest.mark.parametrize(
    ("typed", "path"),
    [("経費", "2021/keihi.html"), ("けいひ", "2021/keihi.html"), ("年末調整", "2022/nenmatsu.html"), ("印鑑", None)],
)
def test_titles_that_start_with_the_text_come_first(client: FlaskClient, typed: str, path: str | None) -> None:
    found = suggest(client, typed)
    if path is None:  # 「会社の印鑑の管理」 contains the word: after the terms
        assert found[0]["kind"] == "term"
        assert found[-1] == {"text": "会社の印鑑の管理", "kind": "title", "path": "2020/inkan.html"}
    else:
        assert found[0]["kind"] == "title"
        assert found[0]["path"] == path


def test_terms_are_ranked_by_document_frequency(client: FlaskClient) -> None:
    # 経費 is in two articles, 経費精算 (a title's compound) in one title.
    terms = [s["text"] for s in suggest(client, "経費") if s["kind"] == "term"]
    assert terms.index("経費") < terms.index("経費精算")


@pytest.mark.parametrize("typed", ["し", "の", "経", "け", "年末調整の流れ"])
def test_at_most_eight_completions(client: FlaskClient, typed: str) -> None:
    found = suggest(client, typed)
    assert 1 <= len(found) <= MAX_SUGGESTIONS
    assert len(set(texts(found))) == len(found)


def test_many_candidates_are_cut_at_eight(client: FlaskClient) -> None:
    assert len(suggest(client, "し")) == MAX_SUGGESTIONS  # 11 words and titles read し…


@pytest.mark.parametrize("typed", ["", "   ", "　", "存在しない語句", "zzzz"])
def test_nothing_to_complete_is_an_empty_list(client: FlaskClient, typed: str) -> None:
    assert suggest(client, typed) == []


@pytest.mark.parametrize("typed", ["<script>alert(1)</script>", '"><img src=x>', "経費<b>"])
def test_markup_in_the_text_comes_back_as_json_text(client: FlaskClient, typed: str) -> None:
    response = client.get("/api/suggest", query_string={"q": typed})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json["query"] == typed
    assert all("<" not in s["text"] for s in response.json["suggestions"])


@pytest.mark.parametrize(("length", "status"), [(100, 200), (101, 400), (5000, 400)])
def test_long_text_is_refused(client: FlaskClient, length: int, status: int) -> None:
    response = client.get("/api/suggest", query_string={"q": "あ" * length})
    assert response.status_code == status
    if status == 400:
        assert "100" in response.json["error"]


def test_opensearch_suggestions_format(client: FlaskClient) -> None:
    response = client.get("/api/suggest", query_string={"q": "けいひ", "format": "opensearch"})
    assert response.status_code == 200
    assert response.mimetype == "application/x-suggestions+json"
    query, completions = response.get_json(force=True)
    assert query == "けいひ"
    assert "経費" in completions
    assert all(isinstance(c, str) for c in completions)


@pytest.mark.parametrize("form", ["xml", "JSON", ""])
def test_unknown_format_is_a_400(client: FlaskClient, form: str) -> None:
    response = client.get("/api/suggest", query_string={"q": "経費", "format": form})
    assert response.status_code == 400
    assert response.json["error"]


def test_completions_follow_a_reindex(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    with open_app(index) as app:
        client = app.test_client()
        assert "電子帳簿保存法" not in texts(suggest(client, "電子"))
        write_corpus(corpus, {"2024/denshi.html": Page(title="電子帳簿保存法への対応", body_html=paragraphs("対応。"))})
        run(corpus, index, jobs=1)
        assert "電子帳簿保存法への対応" in texts(suggest(client, "でんし"))


def test_term_frequencies_add_up_over_segments(corpus: Path, tmp_path: Path) -> None:
    # A reindex adds a segment: 経費 is then counted in both, as Whoosh counts it.
    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    write_corpus(corpus, {"2024/keihi2.html": Page(title="経費の話", body_html=paragraphs("経費の話です。"))})
    run(corpus, index, jobs=1)
    with index_searcher(index) as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
        frequencies = collect(searcher).frequencies
        expected = max(searcher.doc_frequency(f, "経費") for f in ("title", "body", "tags"))
    assert frequencies["経費"] == expected > 1


def test_a_reindex_reads_only_its_new_segment(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each segment's share of the vocabulary is kept: after an editor's change only the
    # new segment is read, and the result is what reading everything gives.
    from search_app.engine import completions as suggest_module

    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    parts: dict = {}
    with index_searcher(index) as searcher:
        collect(searcher, parts)
    page = corpus / "2021/keihi.html"
    page.write_bytes(
        page.read_bytes().replace("経費精算のルールと差し戻し".encode(), "経費精算の新しいルール".encode())
    )
    run(corpus, index, jobs=1)
    reads = []
    real_read = suggest_module._read_segment
    monkeypatch.setattr(suggest_module, "_read_segment", lambda reader: reads.append(1) or real_read(reader))
    with index_searcher(index) as searcher:
        assert len(searcher.leaf_searchers()) == 2
        kept, fresh = collect(searcher, parts), collect(searcher)
    assert len(reads) == 1 + 2  # the new segment, then everything for the fresh read
    assert kept == fresh
    titles = [t.text for t in kept.titles]
    assert "経費精算の新しいルール" in titles
    assert "経費精算のルールと差し戻し" not in titles  # the old copy is deleted in the kept segment
    assert len(parts) == 2


def collected_from(index: Path) -> Collected:
    """What the vocabulary reads from the index (terms, tags, titles)."""
    with index_searcher(index) as searcher:
        return collect(searcher)


def test_titles_words_come_from_the_index_as_janome_would_give_them(built_index: Path) -> None:
    # The indexer stores each title's words with readings; an older index gets them from Janome.
    collected = collected_from(built_index)
    assert all(t.words for t in collected.titles)
    older = Collected(tuple(replace(t, words=()) for t in collected.titles), collected.frequencies, collected.tags)
    stored, janome = collected.with_readings(), older.with_readings()
    assert stored.titles == janome.titles
    assert stored._readings == janome._readings  # the readings, both ways
    assert "経費精算" in [s.text for s in stored.complete("けいひせいさん")]


def test_completions_work_before_the_readings_are_in(built_index: Path) -> None:
    collected = collected_from(built_index)
    partial, full = collected.without_readings(), collected.with_readings()
    for vocabulary in (partial, full):
        assert "経費" in [s.text for s in vocabulary.complete("経費")]
    assert "経費" not in [s.text for s in partial.complete("けいひ")]  # Janome's readings come later
    assert "経費" in [s.text for s in full.complete("けいひ")]


@pytest.mark.parametrize(
    ("a", "b", "distance"), [("精算", "清算", 1), ("経費", "経費精算", 2), ("", "ab", 2), ("ab", "ba", 2)]
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == edit_distance(b, a) == distance


# ---------------------------------------------------------------- the search box


@pytest.mark.parametrize("url", ["/", "/search?q=経費", "/articles/2021/keihi.html", "/nowhere"])
def test_every_page_has_the_combobox_and_the_script(client: FlaskClient, url: str) -> None:
    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    box = soup.select_one("form.search-form[role=search] > input#q[name=q]")
    assert box["role"] == "combobox"
    assert box["aria-autocomplete"] == "list"
    assert box["aria-controls"] == "q-suggestions"
    assert box["aria-expanded"] == "false"
    listbox = soup.select_one("ul#q-suggestions[role=listbox]")
    assert listbox.has_attr("hidden")
    assert listbox.get("aria-label")
    script = soup.select_one("script[src$='/suggest.js']")
    assert script.has_attr("defer")
    assert not script.string
    with client.get(script["src"]) as static:  # a streamed file: close it
        assert static.status_code == 200
    link = soup.select_one("head link[rel=search]")
    assert link["type"] == "application/opensearchdescription+xml"
    assert link["href"] == "/opensearch.xml"


# ---------------------------------------------------------------- OpenSearch


def test_opensearch_description(client: FlaskClient, app) -> None:
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    short_name = root.findtext(f"{OPENSEARCH}ShortName")
    assert short_name
    assert len(short_name) <= 16
    assert app.config["SITE_NAME"].startswith(short_name)
    assert root.findtext(f"{OPENSEARCH}InputEncoding") == "UTF-8"
    urls = {u.get("type"): u.get("template") for u in root.findall(f"{OPENSEARCH}Url")}
    assert urls["text/html"] == "http://localhost/search?q={searchTerms}"
    suggestions = urlsplit(urls["application/x-suggestions+json"])
    assert (suggestions.scheme, suggestions.netloc, suggestions.path) == ("http", "localhost", "/api/suggest")
    assert parse_qs(suggestions.query) == {"q": ["{searchTerms}"], "format": ["opensearch"]}


def test_opensearch_urls_follow_the_host(client: FlaskClient) -> None:
    response = client.get("/opensearch.xml", base_url="https://search.example.jp")
    root = ET.fromstring(response.data)
    templates = [u.get("template") for u in root.findall(f"{OPENSEARCH}Url")]
    assert all(t.startswith("https://search.example.jp/") for t in templates)


def test_a_long_site_name_is_cut_to_a_short_name(built_index: Path) -> None:
    app = make_app(built_index, SITE_NAME="とても長いサイトの名前です。十六文字を超えています")
    root = ET.fromstring(app.test_client().get("/opensearch.xml").data)
    assert root.findtext(f"{OPENSEARCH}ShortName") == "とても長いサイトの名前です。十六"
    assert root.findtext(f"{OPENSEARCH}Description") == app.config["SITE_NAME"]


# ---------------------------------------------------------------- もしかして

# Two more articles on 経費精算, so that query has "many" results.
MORE_PAGES = {
    **SAMPLE_PAGES,
    "2024/keihi-app.html": Page(
        title="経費精算アプリの選び方",
        body_html=paragraphs("経費精算アプリは領収書を撮影して申請できます。", "承認の流れも確認します。"),
        date="2024-02-01",
        slug="keihi-app",
    ),
    "2024/keihi-card.html": Page(
        title="法人カードと経費精算",
        body_html=paragraphs("法人カードの利用明細を経費精算に取り込みます。"),
        date="2024-03-01",
        slug="keihi-card",
    ),
}


@pytest.fixture(scope="module")
def more_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    with indexed_client(tmp_path_factory.mktemp("more"), MORE_PAGES) as client:
        # The first completion waits for the vocabulary's readings; searches never do.
        assert suggest(client, "けいひ")
        yield client


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("経費清算", "経費精算"),  # a wrong kanji
        ("見積所", "見積書"),
        ("ねんまつちょうせい", "年末調整"),  # kana → the kanji spelling
        ("いんかん", "印鑑"),
        ("源泉徴集票", "源泉徴収票"),
        ("経費清算 領収書", "経費精算 領収書"),  # only the wrong word changes
    ],
)
def test_did_you_mean_links_to_a_query_with_results(more_client: FlaskClient, q: str, expected: str) -> None:
    api = more_client.get("/api/search", query_string={"q": q}).json
    assert api["suggestion"] == expected
    soup = BeautifulSoup(more_client.get("/search", query_string={"q": q}).get_data(as_text=True), "html.parser")
    link = soup.select_one("p.did-you-mean a")
    assert link.get_text() == expected
    assert parse_qs(urlsplit(link["href"]).query)["q"] == [expected]
    better = more_client.get("/api/search", query_string={"q": expected}).json
    assert better["total"] > 0
    assert not better["relaxed"]  # every word found together
    assert better["total"] >= (0 if api["relaxed"] else api["total"])


@pytest.mark.parametrize(
    "q",
    [
        "経費精算",  # four articles: nothing to correct
        "経費",
        "存在しない語句ですよ",  # nothing near it either
        '"経費清算"',  # phrases, operators and fields are the reader's own syntax: left alone
        "経費清算 OR 見積書",
        "title:経費清算",
        "-経費清算 見積書",
    ],
)
def test_no_suggestion(more_client: FlaskClient, q: str) -> None:
    assert more_client.get("/api/search", query_string={"q": q}).json["suggestion"] is None
    soup = BeautifulSoup(more_client.get("/search", query_string={"q": q}).get_data(as_text=True), "html.parser")
    assert soup.select_one(".did-you-mean") is None


def test_did_you_mean_keeps_the_other_parameters(more_client: FlaskClient) -> None:
    response = more_client.get("/search", query_string={"q": "経費清算", "per_page": "5", "page": "2", "x": "<y>"})
    link = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("p.did-you-mean a")
    params = parse_qs(urlsplit(link["href"]).query)
    assert params == {"q": ["経費精算"], "per_page": ["5"], "x": ["<y>"]}  # a new query starts on page 1


def test_a_suggestion_costs_a_bounded_number_of_counts(built_index: Path) -> None:
    with index_searcher(built_index) as searcher:
        vocabulary = collect(searcher).with_readings()
    asked: list[str] = []

    def count(query: str) -> int:
        asked.append(query)
        return 0  # nothing ever found: every candidate of every word gets tried

    query = "経費清算 見積所 年末調正 印監 源泉徴集票"
    analysed = analyse(parse_query(query), japanese_analyzer())
    assert suggest_query(query, analysed, 0, True, vocabulary, count) is None
    assert 5 < len(asked) <= MAX_COUNTS


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("経費 精算", ["経費", "精算"]),
        ("経費　清算", ["経費", "清算"]),
        ('"経費"', None),
        ("a OR b", None),
        ("-a b", None),
    ],
)
def test_only_plain_words_are_corrected(query: str, words: list[str] | None) -> None:
    assert plain_words(query, parse_query(query)) == words


def test_no_request_waits_long_for_the_vocabulary(built_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The vocabulary is built in the background (about a second at 20,000 articles):
    # a search waits at most VOCABULARY_WAIT for it, then answers without もしかして.
    release = threading.Event()
    real_collect = collect

    def slow_collect(*args: Any) -> object:
        release.wait(30)
        return real_collect(*args)

    monkeypatch.setattr("search_app.engine.completions.collect", slow_collect)
    with open_app(built_index, VOCABULARY_WAIT=0.05) as app:
        client = app.test_client()
        started = time.perf_counter()
        first = client.get("/api/search", query_string={"q": "経費清算"}).json
        assert time.perf_counter() - started < 5
        assert first["suggestion"] is None
        release.set()
        service = app.extensions["search_service"]
        assert service.vocabulary.current(wait=30) is not None
        assert client.get("/api/search", query_string={"q": "経費清算"}).json["suggestion"] == "経費精算"
