"""Readers' words: a word typed as its kana reading finds the articles; relaxation never stands on noise."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from indexer.analysis import japanese_analyzer, meaningful_terms, query_words
from indexer.ngrams import mixed_reading
from search_app.engine.candidates import kept_units, meaningful
from search_app.engine.compiler import Compiler
from search_app.engine.syntax import parse_query
from tests.factories import api_search, indexed_fixture, open_app, paths, serve
from tests.pages import plain_page as page

# A reading typed for a word of the bundled corpus, and the word as written there.
READINGS = [
    # The cases: all kana, which Janome cuts into nonsense (け + いひ + せいさ + ん).
    ("けいひせいさん", "経費精算"),
    ("ねんまつちょうせい", "年末調整"),
    ("きゅうよけいさん", "給与計算"),
    ("げんせんちょうしゅう", "源泉徴収"),
    ("けんこうしんだん", "健康診断"),
    ("ゆうきゅうきゅうか", "有給休暇"),
    ("こぐちげんきん", "小口現金"),
    ("でんしちょうぼ", "電子帳簿"),
    ("しゃようしゃ", "社用車"),
    ("みつもりしょ", "見積書"),
    # Half in kanji, half in kana.
    ("年末ちょうせい", "年末調整"),
    ("ねんまつ調整", "年末調整"),
    ("経費せいさん", "経費精算"),
    ("給与けいさん", "給与計算"),
    ("けんこう診断", "健康診断"),
    # Katakana, half-width katakana, and the reading's words typed apart (a full-width space).
    ("ケイヒセイサン", "経費精算"),
    ("ﾈﾝﾏﾂﾁｮｳｾｲ", "年末調整"),
    ("ねんまつ\u3000ちょうせい", "年末 調整"),
]


api = partial(api_search, per_page=100)


@pytest.fixture(scope="module")
def bundled(bundled_index: Path) -> Iterator[FlaskClient]:
    # No もしかして at all: the reading must find the articles by itself, as on a fresh worker.
    with open_app(bundled_index, VOCABULARY_WAIT=0) as app:
        yield app.test_client()


@pytest.mark.parametrize(("reading", "word"), READINGS)
def test_a_reading_finds_what_the_word_finds(bundled: FlaskClient, reading: str, word: str) -> None:
    typed, spelled = api(bundled, reading), api(bundled, word)
    assert typed["total"] >= 1, typed
    assert typed["relaxed"] is False
    # The written word's best article near the top, and most of its next ones.
    assert paths(spelled)[0] in paths(typed)[:3]
    assert len(set(paths(spelled)[:3]) & set(paths(typed))) >= min(2, spelled["total"])


@pytest.mark.parametrize("reading", ["けいひせいさん", "ねんまつちょうせい", "年末ちょうせい"])
def test_a_reading_marks_the_word_it_found(bundled: FlaskClient, reading: str) -> None:
    soup = BeautifulSoup(bundled.get("/search", query_string={"q": reading}).text, "html.parser")
    marked = {m.get_text() for m in soup.select(".hit")[0].select("mark")}
    assert marked & {"経費精算", "年末調整", "年末", "調整"}, marked


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("年末ちょうせい", "ネンマツチョウセイ"),
        ("ねんまつ調整", "ネンマツチョウセイ"),
        ("経費せいさん", "ケイヒセイサン"),
        ("有給きゅうか", "ユウキュウキュウカ"),
        ("東京都ふちゅうし", "トウキョウトフチュウシ"),
        # Endings, particles and words without a reading are no reading typed for kanji.
        ("確認しました", None),
        ("書類を出しました", None),
        ("見積書の書き方", None),
        ("経費精算について", None),
        ("会社のこと", None),
        ("ＭＯＳしけん", None),
        ("2024ねんまつ", None),
        ("けいひせいさん", None),  # all kana: read as it is (ngrams.query_reading_grams)
        ("年末調整", None),
    ],
)
def test_mixed_reading(text: str, reading: str | None) -> None:
    assert mixed_reading(text) == reading


@pytest.mark.parametrize("text", ["けいひせいさん", "ねんまつちょうせい", "年末ちょうせい", "ゆうきゅうきゅうか"])
def test_a_reading_is_one_unit_and_no_sentence(text: str) -> None:
    compiled = Compiler(japanese_analyzer()).compile(parse_query(text))
    assert [u.label for u in compiled.units] == [text]
    assert compiled.units[0].strong
    assert compiled.sentence is False
    fields = {leaf.fieldname for leaf in compiled.query.leaves()}
    assert {"title_rd", "body_rd"} <= fields
    # Its hiragana bigrams (けい, さん) would rank articles by noise.
    assert not any("\u3041" <= ch <= "\u309f" for g in compiled.text_grams for ch in g)


@pytest.mark.parametrize(
    ("text", "strong"),
    [
        ("簿記二級", {"簿記"}),
        ("日商簿記２級", {"日商簿記"}),
        ("二週間", set()),
        ("2024年", set()),
        ("第2回", set()),
        ("A", set()),
        ("消費税", {"消費"}),  # 税 inside a compound is a piece of it
        ("税の計算", {"税", "計算"}),  # 税 standing alone is a word
        ("印", {"印"}),
        ("経費を落とす", {"経費"}),
        ("年末調整", {"年末", "調整"}),
    ],
)
def test_meaningful_terms(text: str, strong: set[str]) -> None:
    assert meaningful_terms(query_words(japanese_analyzer(), text)) == strong


def test_relaxation_drops_weak_units_before_strong_ones() -> None:
    # 簿記 alone in article 1; 二 and 級 together in article 3: 簿記 is kept, not 二 + 級.
    docsets = [{1}, {2, 3}, {3}]
    kept = kept_units(docsets, [True, False, False])
    assert kept == [0]
    assert meaningful(kept, [True, False, False])
    assert not meaningful(kept_units([set(), {2, 3}, {3}], [True, False, False]), [True, False, False])


# A site where no article has 簿記 or 級; one has 二週間, one 印紙税.
WEAK_PAGES = {
    "kenshu.html": page("二週間の研修", "新人研修は二週間です。書類に印を押します。"),
    "zei.html": page("印紙税の話", "印紙税を納めます。"),
    "kaigi.html": page("会議の記録", "会議室を予約しました。", date="2022-01-01"),
}


weak_site = indexed_fixture(WEAK_PAGES, client=True)


@pytest.mark.parametrize(
    ("query", "params", "weak"),
    [
        ("簿記二級", {}, {"二", "級"}),  # the case: 二 of 二週間 once made a match
        ("簿記二級", {"sort": "newest"}, {"二", "級"}),  # relaxed without the n-gram ranking
        ("title:簿記二級", {}, {"二", "級"}),  # a field: the RELAXED plan without n-grams
        ("宇宙 二", {}, {"二"}),
        ("宇宙 二週間", {}, {"二", "週間"}),
        ("宇宙 2週間", {}, {"2", "週間"}),
        ("消費税 宇宙", {}, {"税"}),  # 税 inside 消費税 is no word of its own
        ("簿記二級はいつ取れる", {}, {"二", "級"}),  # a sentence
    ],
)
def test_relaxation_never_keeps_only_weak_words(
    weak_site: FlaskClient, query: str, params: dict, weak: set[str]
) -> None:
    result = api(weak_site, query, **params)
    assert (result["total"], result["hits"]) == (0, [])
    assert result["relaxed"] is True
    # Every word is named as missing, the weak ones that matched too.
    assert weak <= set(result["dropped"])


@pytest.mark.parametrize(
    ("query", "path", "dropped"),
    [
        ("宇宙 印", "kenshu.html", ["宇宙"]),  # a one-kanji noun typed alone means something (印 of 印紙 too)
        ("宇宙の税", "zei.html", ["宇宙"]),
        ("研修 宇宙 二", "kenshu.html", ["宇宙"]),  # 二 comes along with a strong word
    ],
)
def test_relaxation_keeps_a_strong_word(weak_site: FlaskClient, query: str, path: str, dropped: list[str]) -> None:
    result = api(weak_site, query)
    assert result["relaxed"] is True
    assert path in paths(result)
    assert result["dropped"] == dropped


def test_the_page_says_why_nothing_was_found(weak_site: FlaskClient) -> None:
    soup = BeautifulSoup(weak_site.get("/search", query_string={"q": "簿記二級"}).text, "html.parser")
    assert soup.select_one(".total").get_text() == "0"
    assert not soup.select(".hit")
    assert [t.get_text() for t in soup.select(".term")] == ["簿記", "二", "級"]
    notice = soup.select_one(".relaxed").get_text()
    assert "意味をなさない" in notice
    assert "表示しています" not in notice


def first_request(base: str, query: str, log: Path, startup: float = 60) -> dict:
    """GET /api/search as the worker's first request: retried only while nothing listens yet."""
    url = f"{base}/api/search?{urllib.parse.urlencode({'q': query})}"
    deadline = time.monotonic() + startup
    while True:
        try:
            with urllib.request.urlopen(url, timeout=startup) as response:
                return json.loads(response.read().decode("utf-8"))
        except ConnectionRefusedError:
            pass
        except urllib.error.URLError as exc:
            if not isinstance(exc.reason, ConnectionRefusedError):
                raise
        if time.monotonic() > deadline:
            msg = f"the server at {base} never listened:\n{log.read_text(encoding='utf-8', errors='replace')[-2000:]}"
            raise RuntimeError(msg)
        time.sleep(0.2)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("reading", "path"),
    [
        ("けいひせいさん", "2021/keihi-seisan-rule.html"),
        ("ねんまつちょうせい", "2024/nenmatsu-chousei-denshi.html"),
        ("年末ちょうせい", "2024/nenmatsu-chousei-denshi.html"),
    ],
)
def test_a_fresh_workers_first_request_finds_a_reading(
    bundled_index: Path, tmp_path: Path, reading: str, path: str
) -> None:
    log = tmp_path / "server.log"
    # One worker that has answered nothing yet (not even /healthz), and no もしかして wait.
    with serve(bundled_index, log, workers=1, env={"SEARCH_VOCABULARY_WAIT": "0"}, wait_healthy=False) as base:
        result = first_request(base, reading, log)
    assert result["total"] >= 5, result
    assert result["hits"][0]["path"] == path
    assert result["relaxed"] is False
