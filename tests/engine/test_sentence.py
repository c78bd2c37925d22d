"""The pipeline's unit features (sentences, and keywords no article has all of) against Whoosh's own matches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from whoosh.searching import Searcher

from search_app.engine.bm25 import gram_scores
from search_app.engine.compiler import Compiler
from search_app.engine.evaluator import Evaluator
from search_app.engine.features import Features, unit_words
from search_app.engine.pipeline import SENTENCE, score
from search_app.engine.syntax import parse_query
from tests.factories import index_searcher


@pytest.fixture
def searcher(built_index: Path) -> Iterator[Searcher]:
    with index_searcher(built_index) as s:
        yield s


@pytest.mark.parametrize(
    "query",
    [
        "経費精算 宇宙",  # a compound (both parts, and its n-grams) beside a word found nowhere
        "(書類 窓口) 宇宙",  # a group: its words must stand together in one article
        "(経費 OR 印鑑) 宇宙",
        "書類を窓口に出しました",  # a sentence: one unit per word
        '"申告書を社員" 提出',  # a phrase
        "けいひ 書類",  # a kana word, found by its reading
    ],
)
def test_each_unit_is_present_exactly_where_whoosh_finds_it(searcher: Searcher, query: str) -> None:
    compiled = Compiler(searcher.schema["body"].analyzer).compile(parse_query(query))
    words, present = unit_words(Evaluator(searcher), [u.query for u in compiled.units])
    for unit, has in zip(compiled.units, present, strict=True):
        assert set(np.flatnonzero(has).tolist()) == set(searcher.docs_for_query(unit.query)), unit.label
    # Every candidate (an article with one of the units) is scored, and nothing else is.
    candidates = np.logical_or.reduce(present)
    features = Features(words, candidates, gram_scores(searcher, compiled.text_grams), present)
    assert set(np.flatnonzero(score(SENTENCE, features)).tolist()) == set(np.flatnonzero(candidates).tolist())
