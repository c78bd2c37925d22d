"""The query analysed once: one Janome pass per text for the compiler, the highlights and もしかして; one normalizer."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import search_app.engine.service as service_module
from indexer.analysis import JanomeTokenizer, janome_tokenizer, japanese_analyzer
from indexer.dictionaries import Synonyms, normalize_word
from indexer.ngrams import ngram_text, normalize, query_char_runs, query_text_grams
from search_app.engine.analysed import analyse
from search_app.engine.completions import normalize as completion_form
from search_app.engine.syntax import Words, parse_query
from search_app.searchlog import normalize_logged
from search_app.services import get_service
from tests.factories import make_app

ANALYZER = japanese_analyzer()


@pytest.fixture(scope="module")
def ready_app(bundled_index: Path) -> Iterator[Flask]:
    """An app whose vocabulary (built in a thread that calls Janome too) is complete."""
    app = make_app(bundled_index)
    with app.app_context():
        service = get_service()
        service.warm()
        while not service.vocabulary.wait_for_readings():
            time.sleep(0.05)
    yield app
    app.extensions["search_service"].handle.close()


def counted(monkeypatch: pytest.MonkeyPatch) -> tuple[Counter[str], Counter[str], list[str]]:
    """Counters of Janome's passes (by text), of the analyzer's (by text), and the parser's inputs."""
    janome: Counter[str] = Counter()
    analysed: Counter[str] = Counter()
    parsed: list[str] = []
    tokenizer = janome_tokenizer()
    tokenize, call, parse = tokenizer.tokenize, JanomeTokenizer.__call__, service_module.parse_query

    def counting_tokenize(text: str, *args: Any, **kwargs: Any) -> Any:
        janome[text] += 1
        return tokenize(text, *args, **kwargs)

    def counting_call(self: JanomeTokenizer, value: str, *args: Any, **kwargs: Any) -> Any:
        analysed[value] += 1
        return call(self, value, *args, **kwargs)

    def counting_parse(query: str) -> Any:
        parsed.append(query)
        return parse(query)

    monkeypatch.setattr(tokenizer, "tokenize", counting_tokenize)
    monkeypatch.setattr(JanomeTokenizer, "__call__", counting_call)
    monkeypatch.setattr(service_module, "parse_query", counting_parse)
    return janome, analysed, parsed


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        ("経費清算 方法", "経費精算 方法"),  # もしかして counts each word, candidates and the corrected query
        ("経費精算 方法 -見積書", None),  # with a synonym (経費精算 = 立替精算) and a negation
        ("年末ちょうせい 書類", None),  # a word half typed as its reading (Janome's cut places the reading)
    ],
)
def test_each_text_of_a_search_is_tokenized_once(
    ready_app: Flask, monkeypatch: pytest.MonkeyPatch, query: str, suggestion: str | None
) -> None:
    with ready_app.app_context():
        service = get_service()
        service.search(query)  # the dictionary loaded, the highlights' stored texts read
        janome, analysed, parsed = counted(monkeypatch)
        page = service.search(query)
    assert page.suggestion == suggestion
    assert janome, "the counter saw no Janome pass"
    assert {t: n for t, n in janome.items() if n > 1} == {}
    assert {t: n for t, n in analysed.items() if n > 1} == {}
    # Parsed once; もしかして parses only a corrected query (new text), never the reader's words again.
    words = query.split()
    assert [p for p in parsed if p == query or p in words] == [query]
    assert all(p != query for p in parsed[1:])


def test_the_analysis_holds_every_view_of_each_text() -> None:
    synonyms = Synonyms({"経費精算": ("経費精算", "立替精算")})
    analysed = analyse(parse_query('年末ちょうせい 経費精算 -"見積書の書き方" category:経理'), ANALYZER, synonyms)
    assert set(analysed.texts) == {"年末ちょうせい", "経費精算", "立替精算", "見積書の書き方"}  # no category
    assert analysed.synonyms == {"年末ちょうせい": (), "経費精算": ("立替精算",)}
    mixed = analysed.text("年末ちょうせい")
    assert mixed.reading == "ネンマツチョウセイ"
    assert mixed.reading_grams[:2] == ("ネン", "ンマ")
    phrase = analysed.text("見積書の書き方")
    assert phrase.every_term == ("見積", "書", "の", "書き方")
    assert phrase.terms == ("見積", "書", "書き方")
    assert phrase.single_run  # hiragana stays inside a run (ngrams.RUN)
    word = analysed.text("経費精算")
    assert word.strengths == (("経費", True), ("精算", True))
    assert word.meaningful == {"経費", "精算"}
    assert word.runs == (("経費", "費精", "精算"),)
    assert word.text_grams == tuple(query_text_grams("経費精算"))
    assert word.spoken == "ケイヒセイサン"


@pytest.mark.parametrize("text", ["色々な書類", "ＭＯＳ　Ｅｘｃｅｌ", "ｶﾞｽ代", "㍿テスト", "İstanbul ΟΔΟΣ", "いすゞ"])
def test_one_normal_form_on_the_query_side(text: str) -> None:
    # The n-gram fields' form (ngram_text) is the one every query-side comparison uses.
    form = ngram_text(text)[1]
    assert normalize(text) == form
    assert completion_form(text) == normalize_logged(text) == " ".join(form.split())
    assert normalize_word(text) == "".join(form.split())
    for word in text.split():
        node = parse_query(word)
        assert isinstance(node, Words)
        analysed = analyse(node, ANALYZER).text(node.text)
        assert analysed.normalized == normalize(word)
        assert [list(run) for run in analysed.runs] == query_char_runs(word)
