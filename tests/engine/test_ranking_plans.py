"""The one ranking pipeline: which plan a query takes, the one scoring function, and its order."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from whoosh.searching import Searcher

from search_app.engine import settings
from search_app.engine.compiler import CompiledQuery, Compiler
from search_app.engine.features import Features
from search_app.engine.pipeline import KEYWORDS, LISTING, RELAXED, SENTENCE, Plan, rank, score
from search_app.engine.syntax import parse_query
from tests.factories import index_pages, index_searcher
from tests.pages import Page, paragraphs

ENGINE = Path(settings.__file__).parent


def page(title: str, text: str, date: str | None) -> Page:
    return Page(title=title, body_html=paragraphs(text), tags=("メモ",), category="雑記", date=date)


PAGES = {
    "keihi.html": page("月末の締め", "経費精算は月末に締めます。", "2021-06-14"),
    "tax.html": page("税の話", "印紙税を納めます。書類に印を押します。", "2020-01-10"),
    "submit.html": page("手続き", "書類を提出した。", "2023-03-01"),
    "dashita.html": page("窓口", "申請書類を窓口に出しました。", "2019-05-20"),
    "phrase.html": page("配布", "申告書を社員に配布します。", "2024-02-02"),
    "iteration.html": page("準備", "色々な書類を準備します。", None),
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searcher]:
    with index_searcher(index_pages(tmp_path_factory.mktemp("plans"), PAGES)) as s:
        yield s


def compile_query(searcher: Searcher, text: str) -> CompiledQuery:
    return Compiler(searcher.schema["body"].analyzer).compile(parse_query(text))


def paths(searcher: Searcher, ranked: list[tuple[int, float]]) -> list[str]:
    return [searcher.stored_fields(d)["path"].rsplit("/", 1)[-1] for d, _ in ranked]


@pytest.mark.parametrize(
    ("text", "plan"),
    [
        ("経費精算", KEYWORDS),
        ("書類を窓口に出しました", SENTENCE),
        ("経費精算 宇宙旅行", RELAXED),  # no article has every keyword
    ],
)
def test_each_kind_of_query_is_a_plan_of_the_one_pipeline(searcher: Searcher, text: str, plan: Plan) -> None:
    found = rank(searcher, compile_query(searcher, text), 10)
    assert found.plan is plan
    assert found.ranked
    assert found.relaxed is (plan is RELAXED)


def test_no_words_list_the_articles_newest_first(searcher: Searcher) -> None:
    found = rank(searcher, CompiledQuery(None), 100, sort="newest")
    assert found.plan is LISTING
    assert found.total == searcher.doc_count() == len(found.ranked) == len(PAGES)
    assert paths(searcher, found.ranked)[:2] == ["phrase.html", "submit.html"]
    assert paths(searcher, found.ranked)[-1] == "iteration.html"  # undated last


def test_relaxed_keywords_rank_every_kept_word_first_by_relevance_and_by_date_otherwise(searcher: Searcher) -> None:
    compiled = compile_query(searcher, "印紙 書類 配布")
    by_relevance = rank(searcher, compiled, 10)
    assert by_relevance.dropped == ("配布",)
    assert paths(searcher, by_relevance.ranked)[0] == "tax.html"  # the only one with 印紙 and 書類
    by_date = rank(searcher, compile_query(searcher, "印紙 書類 配布"), 10, sort="oldest")
    assert sorted(d for d, _ in by_date.ranked) == sorted(d for d, _ in by_relevance.ranked)
    dates = [searcher.stored_fields(d).get("date") for d, _ in by_date.ranked]
    assert [d for d in dates if d] == sorted(d for d in dates if d)


def test_the_one_score_fuses_scales_covers_and_opens() -> None:
    pool = np.array([True, True, True, False])
    words = np.array([2.0, 1.0, 0.0, 9.0])
    grams = np.array([0.0, 3.0, 6.0, 9.0])
    # Each feature is scaled to its best candidate's; the n-grams count FUSION_WEIGHT times.
    fused = score(KEYWORDS, Features(words, pool, grams))
    w = settings.FUSION_WEIGHT
    assert fused.tolist() == pytest.approx([1.0, 0.5 + w / 2, w, 0.0])
    # Coverage: × (1 + COVERAGE_BOOST × share²); the opening: × (1 + LEAD_BOOST × share).
    present = [np.array([True, True, False, False]), np.array([True, False, True, False])]
    opening = np.array([0.0, 0.5, 0.0, 0.0])
    covered = score(SENTENCE, Features(words, pool, grams, present, opening))
    c, lead = settings.COVERAGE_BOOST, settings.LEAD_BOOST
    assert covered.tolist() == pytest.approx(
        [1.0 * (1 + c), (0.5 + w / 2) * (1 + c / 4) * (1 + lead / 2), w * (1 + c / 4), 0.0]
    )
    # No n-grams in the query: the word score as it is, unscaled.
    assert score(KEYWORDS, Features(words, pool)).tolist() == [2.0, 1.0, settings.MIN_SCORE, 0.0]


def test_every_ranking_constant_is_defined_in_settings_only() -> None:
    names = {n for n in vars(settings) if n.isupper()}
    for path in ENGINE.glob("*.py"):
        if path.name == "settings.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned = {
            t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)
        }
        assert not assigned & names, f"{path.name} defines {sorted(assigned & names)}"
