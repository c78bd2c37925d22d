"""How a query is ranked: one pipeline (candidates → features → one score → order), run with a Plan.

A query is ranked in four steps, whatever it is. (1) Candidates: a Plan says which
articles may be listed — with no words, every article the filters leave (LISTING);
for keywords, the strict query's matches (every keyword, through its words, n-grams,
reading or synonym), of which the best FUSION_DEPTH by word score go on (KEYWORDS);
for a sentence (plain text with particles or three words or more), every article with
one of its words (SENTENCE); for keywords no article has all of, the articles with any strong
unit, those with every unit candidates.kept_units keeps first (RELAXED, the reader is
told which went). (2) Features (features.py, openings.py): the word BM25F over title, body and
tags (for keywords the strict query's own score, with the compiler's nearness bonus;
otherwise each unit's word terms), the character n-gram BM25 over text_ng, the share
of the query's units an article has, and how much of the query the best LEAD_DEPTH
articles' openings hold. (3) One score (`score`): words / best + FUSION_WEIGHT ×
n-grams / best, times 1 + COVERAGE_BOOST × share², times 1 + LEAD_BOOST × opening;
a plan leaves out what it does not use (keywords: no coverage, no opening; no n-grams
in the query: the word score unscaled, a relaxed one still times the coverage term).
(4) Order (`ordered`): by relevance, a first tier (for keywords with n-grams, the
articles with the reader's words as words; relaxed, those with every kept unit) before
the rest, best score first and the newer first among equal scores; or by date,
undated last, the better score first among equal dates. Every constant is in settings.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from search_app.engine.arrays import per_searcher
from search_app.engine.bm25 import gram_scores
from search_app.engine.candidates import Matched, kept_units, meaningful, run_query
from search_app.engine.compiler import CompiledQuery
from search_app.engine.evaluator import Evaluator
from search_app.engine.features import Features, unit_words
from search_app.engine.narrowing import MISSING_DATE
from search_app.engine.openings import opening_shares
from search_app.engine.settings import COVERAGE_BOOST, FUSION_DEPTH, FUSION_WEIGHT, LEAD_BOOST, MIN_SCORE


@dataclass(frozen=True)
class Plan:
    """A kind of query as the pipeline's settings: its candidates and the features its score uses."""

    name: str
    # "every" article, "all" of the query (the strict query), "any" of the words, or a strong
    # one of the "kept" units (relaxation).
    candidates: str
    # The n-gram feature's weight beside the words' (it counts when the query has n-grams).
    gram_weight: float = 0.0
    # Score × (1 + coverage_boost × share²).
    coverage_boost: float = 0.0
    # Whether the best candidates' openings count.
    opening: bool = False
    # "all": how many of the strict query's best the n-gram feature re-ranks.
    depth: int = 0


LISTING = Plan("listing", "every")
KEYWORDS = Plan("keywords", "all", gram_weight=FUSION_WEIGHT, depth=FUSION_DEPTH)
SENTENCE = Plan("sentence", "any", gram_weight=FUSION_WEIGHT, coverage_boost=COVERAGE_BOOST, opening=True)
RELAXED = Plan("relaxed", "kept", gram_weight=FUSION_WEIGHT, coverage_boost=COVERAGE_BOOST, opening=True)
# An article's similarity query (related.py): its own matches, by its word score alone.
SIMILAR = Plan("similar", "all")


@dataclass
class Ranked:
    """The ranked matches of a query, and how far it had to be loosened."""

    total: int
    ranked: list[tuple[int, float]]
    relaxed: bool = False
    dropped: tuple[str, ...] = ()
    # How many articles have every word (`total` may count more for a sentence).
    strict_total: int = 0
    # The listed articles that lack some of the words, when others have them all.
    partial: set[int] = field(default_factory=set)
    plan: Plan = LISTING


def rank(
    searcher: Searcher,
    compiled: CompiledQuery,
    limit: int,
    *,
    allow: wq.Query | None = None,
    sort: str = "relevance",
    seen: Matched | None = None,
) -> Ranked:
    """The top `limit` matches of a compiled query (all filtered articles when it has no words)."""
    evaluator = Evaluator(searcher)
    allowed = np.ones(evaluator.size, dtype=bool) if allow is None else evaluator.docs(allow)
    # The n-gram feature ranks by relevance only: sorted by date, a sentence is keywords.
    grams = compiled.text_grams if sort == "relevance" else []
    if compiled.query is None:
        everything = evaluator.evaluate(wq.Every())
        if seen is not None:
            seen.add(everything.mask)
        listed = everything.mask & allowed
        found = Ranked(int(np.count_nonzero(listed)), [], plan=LISTING)
        return _ordered_result(found, searcher, Features(everything.scores, listed), listed, limit, sort)
    if len(compiled.units) > 1 and compiled.sentence and grams:
        # A sentence needs only the strict query's total here (how many have every word).
        strict = int(np.count_nonzero(run_query(evaluator, compiled.query, 1, sort).mask & allowed))
        return _by_units(evaluator, compiled, SENTENCE, grams, limit, strict, allowed, sort, seen)
    depth = max(limit, KEYWORDS.depth) if grams else limit
    matches = run_query(evaluator, compiled.query, depth, sort)
    if seen is not None:
        seen.add(matches.mask)
    listed = matches.mask & allowed
    total = int(np.count_nonzero(listed))
    if len(compiled.units) > 1 and total == 0:
        # Nothing has every keyword: fewer of them, and the reader is told which went.
        return _by_units(evaluator, compiled, RELAXED, grams, limit, 0, allowed, sort, seen)
    found = Ranked(total, [], strict_total=total, plan=KEYWORDS)
    features = Features(matches.scores, listed)
    first = None
    if grams and total:
        # The n-grams re-rank the word ranking's best candidates only, so only theirs are read.
        best = [d for d, _ in ordered(searcher, matches.scores, listed, depth, sort)]
        features.pool = np.zeros(evaluator.size, dtype=bool)
        features.pool[best] = True
        features.grams = gram_scores(searcher, grams, among=np.sort(np.asarray(best, dtype=np.int64)))
        first = _word_matches(evaluator, compiled)
    return _ordered_result(found, searcher, features, features.pool, limit, sort, first=first, grams=grams)


def _by_units(
    evaluator: Evaluator,
    compiled: CompiledQuery,
    plan: Plan,
    grams: list[str],
    limit: int,
    strict_total: int,
    allowed: np.ndarray,
    sort: str,
    seen: Matched | None,
) -> Ranked:
    """A sentence, or keywords no article has all of: candidates by unit, each unit's words scored."""
    words, present = unit_words(evaluator, [u.query for u in compiled.units])
    features = Features(words, np.logical_or.reduce(present), present=present)
    found = features.pool
    if compiled.negatives:
        found = found & ~evaluator.docs(wq.Or(compiled.negatives))
    strong = [u.strong for u in compiled.units]
    result = Ranked(0, [], strict_total=strict_total, plan=plan)
    kept: list[int] = []
    if not strict_total:
        # No article has every word: which words the ranking has to do without. Weak words
        # (二, 級, numbers) never stand alone: when no strong one is kept, nothing is found.
        kept = kept_units([set(np.flatnonzero(has & found & allowed).tolist()) for has in present], strong)
        result.relaxed = True
        result.dropped = tuple(u.label for i, u in enumerate(compiled.units) if i not in kept)
        if not meaningful(kept, strong):
            if seen is not None:
                seen.clear()
            result.dropped = tuple(u.label for u in compiled.units)
            return result
        if plan.candidates == "kept":
            # Keywords: an article needs a strong one. A sentence is ranked by how much of it
            # an article shares, n-grams included (ボトックス of an unknown ボトックスアイテム).
            found = found & np.logical_or.reduce([has for has, s in zip(present, strong, strict=True) if s])
    if seen is not None:
        seen.clear()
        seen.add(found)
    listed = found & allowed
    result.total = int(np.count_nonzero(listed))
    if grams:
        features.grams = gram_scores(evaluator.searcher, grams)
    # Relaxed keywords: the articles with every kept unit first.
    first = np.logical_and.reduce([present[i] for i in kept]) if plan.candidates == "kept" and len(kept) > 1 else None
    _ordered_result(result, evaluator.searcher, features, listed, limit, sort, first=first, grams=grams)
    if strict_total:
        shown = [d for d, _ in result.ranked]
        result.partial = set(shown) - matching(evaluator, compiled.query, shown)
    return result


def _ordered_result(
    result: Ranked,
    searcher: Searcher,
    features: Features,
    listed: np.ndarray,
    limit: int,
    sort: str,
    *,
    first: np.ndarray | None = None,
    grams: list[str] | None = None,
) -> Ranked:
    """Steps 3 and 4: the plan's score of every listed candidate, then its order; into `result`."""
    scores = score(result.plan, features)
    if result.plan.opening and grams:
        # The opening is read only for the best few by the rest of the score: it re-ranks the top.
        features.opening = opening_shares(searcher, scores, listed, grams)
        scores = score(result.plan, features)
    result.ranked = ordered(searcher, scores, listed, limit, sort, first=first)
    return result


def score(plan: Plan, features: Features) -> np.ndarray:
    """The one scoring function: fused word and n-gram BM25, times coverage, times the opening."""
    if features.grams is None:
        fused = features.words
    else:
        # Each feature is divided by its best candidate's: the two BM25s are on different scales.
        pool = features.pool
        best_words = (float(features.words[pool].max()) if pool.any() else 0.0) or 1.0
        best_grams = (float(features.grams[pool].max()) if pool.any() else 0.0) or 1.0
        fused = features.words / best_words + plan.gram_weight * features.grams / best_grams
    if plan.coverage_boost and features.present:
        fused = fused * (1.0 + plan.coverage_boost * features.share() ** 2)
    fused = np.where(features.pool, np.maximum(fused, MIN_SCORE), 0.0)
    if features.opening is not None:
        fused = fused * (1.0 + LEAD_BOOST * features.opening)
    return fused


def _word_matches(evaluator: Evaluator, compiled: CompiledQuery) -> np.ndarray | None:
    """The articles with the reader's words as words (None: no n-gram or reading could have matched)."""
    if compiled.word_query is None or compiled.word_query == compiled.query:
        return None
    return evaluator.docs(compiled.word_query)


def matching(evaluator: Evaluator, query: wq.Query, docnums: Iterable[int]) -> set[int]:
    """The given documents that the query matches."""
    found = evaluator.docs(query)
    return {d for d in docnums if found[d]}


def ordered(
    searcher: Searcher,
    scores: np.ndarray,
    matches: np.ndarray,
    limit: int,
    sort: str = "relevance",
    *,
    first: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """The first `limit` matches as (docnum, score): best first, the newer first among equal scores.

    By relevance, the matches in `first` come before the rest. Sorted by date instead
    (newest or oldest), undated documents come last and the better score first among
    equal dates.
    """
    if sort == "relevance" and first is not None:
        head = _ordered(searcher, scores, matches & first, limit, sort)
        if len(head) >= limit:
            return head
        return head + _ordered(searcher, scores, matches & ~first, limit - len(head), sort)
    return _ordered(searcher, scores, matches, limit, sort)


def _ordered(
    searcher: Searcher, scores: np.ndarray, matches: np.ndarray, limit: int, sort: str
) -> list[tuple[int, float]]:
    if limit <= 0:
        return []
    ids = np.flatnonzero(matches)
    # Scores a rounding error apart are equal (a sum's order of terms must not decide).
    rounded = np.round(scores[ids], 9)
    dated, recency = _dates(searcher)
    if sort == "relevance":
        if len(ids) > limit:
            # Only the best `limit` and whatever ties the last of them go on to the sort.
            cut = -np.partition(-rounded, limit - 1)[limit - 1]
            keep = rounded >= cut
            ids, rounded = ids[keep], rounded[keep]
        order = np.lexsort((-recency[ids], -rounded))
    else:
        sign = -1 if sort == "newest" else 1
        order = np.lexsort((-rounded, sign * recency[ids], ~dated[ids]))
    ids = ids[order][:limit]
    return [(int(d), float(scores[d])) for d in ids]


def _dates(searcher: Searcher) -> tuple[np.ndarray, np.ndarray]:
    """Per docnum: whether it has a date, and its raw date value (0 when undated), read once per searcher."""

    def build(searcher: Searcher) -> tuple[np.ndarray, np.ndarray]:
        size = searcher.doc_count_all()
        raw: list[object] = [None] * size
        reader = searcher.reader()
        if reader.has_column("date"):  # an index with no dated document has no date column
            # Raw column values (ordered like the dates): translating an undated
            # document's default to a datetime overflows inside Whoosh.
            column = reader.column_reader("date", translate=False)
            raw = [column[d] for d in range(size)]
        # An undated document reads back as the column's "missing" value, 2**64 - 1.
        dated = np.fromiter((isinstance(v, int) and v < MISSING_DATE for v in raw), dtype=bool, count=size)
        values = np.fromiter(
            (v if ok else 0 for v, ok in zip(raw, dated.tolist(), strict=True)), dtype=np.int64, count=size
        )
        return dated, values

    return per_searcher(searcher, "dates", build)
