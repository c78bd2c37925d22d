"""The numpy evaluator (search_app/engine/evaluator.py) matches and scores exactly as Whoosh's own matchers do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.searching import Searcher

from search_app.engine.compiler import Compiler
from search_app.engine.evaluator import Evaluator
from search_app.engine.narrowing import Filters
from search_app.engine.pipeline import ordered
from search_app.engine.syntax import QuerySyntaxError, parse_query
from tests.factories import index_searcher
from tests.strategies import FUZZ

QUERIES = [
    "経費",
    "経費精算",
    "経費精算 領収書",
    "見積書 請求書",
    "見積書の書き方",
    '"申告書を社員"',
    '"年末 調整"',
    "けいひ",
    "ファイルサーバー",
    "ｅｘｃｅｌ 台帳",
    "経費 -年末調整",
    "経費 -年末調整 -見積書",
    "(経費 OR 印鑑) 書類",
    "経費 NOT NOT 年末調整",
    "title:経費",
    "tags:見積書 OR body:印鑑",
    "category:総務 サーバ",
    "書類を窓口に出しました",
    "年末調整の申告書を社員に配布",
    "宇宙",
]


def whoosh_matches(searcher: Searcher, q: wq.Query) -> dict[int, float]:
    """Every document Whoosh's matcher reaches for `q`, with its score."""
    found: dict[int, float] = {}
    context = searcher.context(top_query=q)
    for sub, offset in searcher.leaf_searchers():
        matcher = q.matcher(sub, context)
        while matcher.is_active():
            found[matcher.id() + offset] = matcher.score()
            matcher.next()
    return found


def reference(searcher: Searcher, q: wq.Query) -> dict[int, float]:
    """What Whoosh's matcher tree should give: its leaf matchers combined by the rules its matchers follow.

    Whoosh's own tree gets one case wrong on an index with several segments (see
    test_exclusion_holds_across_segments), so the operators are applied here by hand.
    """
    if isinstance(q, wq.Not):
        excluded = reference(searcher, q.query)
        return {d: 1.0 for d in searcher.reader().all_doc_ids() if d not in excluded}
    if isinstance(q, (wq.AndMaybe, wq.AndNot)):
        a, b = reference(searcher, q.a), reference(searcher, q.b)
        if isinstance(q, wq.AndNot):
            return {d: s for d, s in a.items() if d not in b}
        return {d: s + b.get(d, 0.0) for d, s in a.items()}
    if isinstance(q, (wq.And, wq.Or)) and len(q.subqueries) > 1:
        parts = [reference(searcher, sub) for sub in q.subqueries]
        docs = set.intersection(*map(set, parts)) if isinstance(q, wq.And) else set.union(*map(set, parts))
        return {d: q.boost * sum(p.get(d, 0.0) for p in parts) for d in docs}
    if isinstance(q, (wq.And, wq.Or)):
        return reference(searcher, q.subqueries[0]) if q.subqueries else {}
    return whoosh_matches(searcher, q)


def compiled_queries(searcher: Searcher) -> Iterator[tuple[str, wq.Query]]:
    """Every Whoosh query the compiler builds for QUERIES, the filters', and Every."""
    for text in QUERIES:
        compiled = Compiler(searcher.schema["body"].analyzer).compile(parse_query(text))
        parts = [compiled.query, compiled.word_query, *(u.query for u in compiled.units), *compiled.negatives]
        yield from ((text, q) for q in parts if q is not None)
    filters_tried = (
        Filters(category="総務"),
        Filters(tags=("見積書",)),
        Filters(year=2020),
        Filters(year=1999),
        Filters(date_from=dt.date(2021, 3, 1), date_to=dt.date(2023, 6, 30)),
        Filters(category="経理", tags=("見積書", "請求書"), date_from=dt.date(2020, 1, 1)),
    )
    for filters in filters_tried:
        if (q := filters.query()) is not None:
            yield str(filters), q
    yield "every", wq.Every()


def assert_same(searcher: Searcher, *, whole_tree: bool = True) -> int:
    """Compare the evaluator with Whoosh on every compiled query; return how many matched anything."""
    nonempty = 0
    for label, q in compiled_queries(searcher):
        expected = reference(searcher, q)
        if whole_tree:
            assert whoosh_matches(searcher, q) == pytest.approx(expected, rel=1e-9), label
        got = Evaluator(searcher).evaluate(q)
        docs = {int(d) for d in np.flatnonzero(got.mask)}
        assert docs == set(expected), (label, str(q))
        for docnum, score in expected.items():
            assert got.scores[docnum] == pytest.approx(score, rel=1e-9), (label, str(q), docnum)
        assert not got.scores[~got.mask].any(), label
        nonempty += bool(expected)
    return nonempty


def test_one_segment(built_index: Path) -> None:
    with index_searcher(built_index) as searcher:
        assert assert_same(searcher) > 30


@pytest.fixture(scope="module")
def changed_index(reindexed_index: Path) -> Iterator[Searcher]:
    """An index with a second segment and a deleted document (a changed article was reindexed)."""
    with index_searcher(reindexed_index) as searcher:
        yield searcher


def test_segments_with_deletions(changed_index: Searcher) -> None:
    assert len(changed_index.leaf_searchers()) > 1
    assert changed_index.doc_count_all() > changed_index.doc_count()  # the old copy is deleted, not gone
    assert assert_same(changed_index, whole_tree=False) > 30


@pytest.mark.parametrize(
    "q", [wq.Prefix("body", "経"), wq.Wildcard("title", "経*"), wq.Every("body")], ids=["prefix", "wildcard", "field"]
)
def test_a_query_the_compiler_never_builds_is_refused_with_its_name(changed_index: Searcher, q: wq.Query) -> None:
    # Filters are read from the facet table and words from the flat postings; nothing falls back to Whoosh's matchers.
    with pytest.raises(TypeError, match=type(q).__name__):
        Evaluator(changed_index).evaluate(q)


def test_exclusion_holds_across_segments(changed_index: Searcher) -> None:
    # Whoosh's own matchers keep the 年末調整 article here: its AndNot skips past the
    # exclusion in the second segment. The evaluator leaves it out, as the query asks.
    q = Compiler(changed_index.schema["body"].analyzer).compile(parse_query("経費 -年末調整 -見積書")).query
    paths = {changed_index.stored_fields(int(d))["path"] for d in np.flatnonzero(Evaluator(changed_index).docs(q))}
    assert "2022/nenmatsu.html" not in paths
    assert "2024/seisan.html" in paths


def test_a_phrase_needs_its_words_in_order(built_index: Path) -> None:
    with index_searcher(built_index) as searcher:
        evaluator = Evaluator(searcher)
        forward = evaluator.docs(wq.Phrase("body", ["年末", "調整"]))
        backward = evaluator.docs(wq.Phrase("body", ["調整", "年末"]))
        near = evaluator.docs(wq.Phrase("body", ["申告", "社員"], slop=3))
        far = evaluator.docs(wq.Phrase("body", ["申告", "回収"], slop=3))
    assert forward.sum() == 1
    assert not backward.any()
    assert near.sum() == 1
    assert not far.any()


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("text", ["経費 精算", "経費精算 領収書 提出", "見積書 税込", "会社 印鑑", "年末調整 経費精算"])
def test_the_top_is_exact_when_the_bonus_is_skipped_below_it(changed_index: Searcher, text: str, depth: int) -> None:
    q = Compiler(changed_index.schema["body"].analyzer).compile(parse_query(text)).query
    assert isinstance(q, wq.AndMaybe)  # the words, and a bonus where they stand near each other
    full = Evaluator(changed_index).evaluate(q)
    top = Evaluator(changed_index).evaluate_top(q, depth)
    assert (top.mask == full.mask).all()
    assert ordered(changed_index, top.scores, top.mask, depth) == ordered(changed_index, full.scores, full.mask, depth)


# Words of the sample pages, kana spellings, and the query language's operators.
_WORDS = [
    "経費",
    "精算",
    "経費精算",
    "見積書",
    "印鑑",
    "年末調整",
    "書類",
    "けいひ",
    "ケイヒ",
    "ファイルサーバー",
    "宇宙",
    "書",
]
_TERM = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(_WORDS).map(lambda w: f"-{w}"),
    st.sampled_from(_WORDS).map(lambda w: f'"{w}"'),
    st.sampled_from(["title:", "tags:", "body:"]).flatmap(lambda f: st.sampled_from(_WORDS).map(lambda w: f + w)),
    st.lists(st.sampled_from(_WORDS), min_size=2, max_size=3).map(lambda ws: "(" + " OR ".join(ws) + ")"),
)


@FUZZ
@given(terms=st.lists(_TERM, min_size=1, max_size=4))
def test_any_query_of_these_words_evaluates_as_whoosh_would(changed_index: Searcher, terms: list[str]) -> None:
    try:
        compiled = Compiler(changed_index.schema["body"].analyzer).compile(parse_query(" ".join(terms)))
    except QuerySyntaxError:
        return  # only exclusions: the reader is asked for a word to search for
    parts = [compiled.query, compiled.word_query, *(u.query for u in compiled.units), *compiled.negatives]
    for q in (p for p in parts if p is not None):
        expected = reference(changed_index, q)
        got = Evaluator(changed_index).evaluate(q)
        assert {int(d) for d in np.flatnonzero(got.mask)} == set(expected), str(q)
        for docnum, score in expected.items():
            assert got.scores[docnum] == pytest.approx(score, rel=1e-9), str(q)
