"""The numpy ranking of sentences and of keywords no article has all of (search_app/sentence.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from whoosh.searching import Searcher

from search_app.engine.bm25 import gram_scores
from search_app.engine.compiler import Compiler
from search_app.engine.sentence import score_sentence
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
    matches = score_sentence(
        searcher, [u.query for u in compiled.units], gram_scores(searcher, compiled.text_grams), 3.0
    )
    for unit, has in zip(compiled.units, matches.present, strict=True):
        assert set(np.flatnonzero(has).tolist()) == set(searcher.docs_for_query(unit.query)), unit.label
    # Every candidate is scored, and nothing else is.
    assert set(np.flatnonzero(matches.scores).tolist()) == set(np.flatnonzero(matches.matching).tolist())
