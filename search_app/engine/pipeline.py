"""Ranking by words and by n-grams together; keywords must all match, a sentence is ranked as a whole."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from search_app.engine.bm25 import gram_scores, top
from search_app.engine.compiler import CompiledQuery
from search_app.engine.evaluator import Evaluator
from search_app.engine.openings import boost_openings
from search_app.engine.retrieval import Matched, by_score, kept_units, meaningful, relax, run_query
from search_app.engine.sentence import score_sentence

# The n-gram ranking's weight beside the word ranking, each scaled to its best
# candidate's score (one setting for JSQuAD and livedoor headlines, make eval).
FUSION_WEIGHT = 3.0
# Candidates each ranking brings to the fusion (more when the page asks for more).
FUSION_DEPTH = 100


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
    if compiled.query is None:
        total, ranked = run_query(evaluator, wq.Every(), limit, allow=allow, sort=sort, seen=seen)
        return Ranked(total, ranked)
    grams = compiled.text_grams if sort == "relevance" else []
    sentence = len(compiled.units) > 1 and compiled.sentence and bool(grams)
    # A sentence needs only the strict query's total here (how many have every word);
    # its candidates, and so what the facets count, come from _by_share.
    depth = 1 if sentence else max(limit, FUSION_DEPTH) if grams else limit
    total, ranked = run_query(evaluator, compiled.query, depth, allow=allow, sort=sort, seen=None if sentence else seen)
    if sentence:
        # The reader typed a sentence (a question, a headline), whose words an article
        # rarely has all of: ranked by how much of it each article has.
        return _by_share(evaluator, compiled, gram_scores(searcher, grams), limit, total, allow, seen)
    if len(compiled.units) > 1 and total == 0:
        # Nothing has every keyword: fewer of them, and the reader is told which went.
        if grams:
            return _by_share(evaluator, compiled, gram_scores(searcher, grams), limit, total, allow, seen)
        # Sorted by date (a sentence's words must then all match, as keywords do), or
        # fielded words only (no n-gram scores): the relaxed query (retrieval.relax).
        return _relaxed(evaluator, compiled, limit, allow, sort, seen)
    if not grams or not ranked:
        return Ranked(total, ranked[:limit], strict_total=total)
    # Keywords: the n-grams only re-rank the word ranking's candidates, so only theirs are read.
    bag = gram_scores(searcher, grams, among=np.sort(np.fromiter((d for d, _ in ranked), dtype=np.int64)))
    ranked = fuse(searcher, ranked, bag, first=_word_matches(evaluator, compiled, ranked))
    return Ranked(total, ranked[:limit], strict_total=total)


def _relaxed(
    evaluator: Evaluator,
    compiled: CompiledQuery,
    limit: int,
    allow: wq.Query | None,
    sort: str,
    seen: Matched | None,
) -> Ranked:
    """The articles with some of the words, when none has them all and there is no n-gram ranking."""
    allowed = None if allow is None else set(np.flatnonzero(evaluator.docs(allow)).tolist())
    query, dropped = relax(evaluator, compiled, allowed)
    if query is None:
        return Ranked(0, [], relaxed=True, dropped=dropped)
    if seen is not None:
        seen.clear()
    total, ranked = run_query(evaluator, query, limit, allow=allow, sort=sort, seen=seen)
    return Ranked(total, ranked, relaxed=True, dropped=dropped)


def _by_share(
    evaluator: Evaluator,
    compiled: CompiledQuery,
    bag: np.ndarray,
    limit: int,
    strict_total: int,
    allow: wq.Query | None,
    seen: Matched | None,
) -> Ranked:
    """Every article with at least one of the words, ranked with numpy (sentence.py).

    A sentence is ranked as a whole. Keywords get here only when no article has
    them all: the articles with every kept keyword then come first.
    """
    searcher = evaluator.searcher
    matches = score_sentence(searcher, [u.query for u in compiled.units], bag, FUSION_WEIGHT, evaluator=evaluator)
    found = matches.matching
    if compiled.negatives:
        found = found & ~evaluator.docs(wq.Or(compiled.negatives))
    strong = [u.strong for u in compiled.units]
    kept: list[int] = []
    if not strict_total:
        # No article has every word: which words the ranking has to do without. Weak words
        # (二, 級, numbers) never stand alone: when no strong one is kept, nothing is found.
        where = found if allow is None else found & evaluator.docs(allow)
        kept = kept_units([set(np.flatnonzero(has & where).tolist()) for has in matches.present], strong)
        if not meaningful(kept, strong):
            if seen is not None:
                seen.clear()
            return Ranked(0, [], relaxed=True, dropped=tuple(u.label for u in compiled.units))
        if not compiled.sentence:
            # Keywords: an article needs a strong one. A sentence is ranked by how much of it
            # an article shares, n-grams included (ボトックス of an unknown ボトックスアイテム).
            found = found & np.logical_or.reduce([has for has, s in zip(matches.present, strong, strict=True) if s])
    if seen is not None:
        seen.clear()
        seen.add(found)
    allowed = found if allow is None else found & evaluator.docs(allow)
    # The best candidates rise with how much of the query their title and opening hold (lead.py).
    boost_openings(searcher, matches.scores, allowed, compiled.text_grams)
    result = Ranked(int(np.count_nonzero(allowed)), [], strict_total=strict_total)
    if not strict_total:
        result.relaxed = True
        result.dropped = tuple(u.label for i, u in enumerate(compiled.units) if i not in kept)
    if not compiled.sentence and len(kept) > 1:
        every = np.logical_and.reduce([matches.present[i] for i in kept])
        first = by_score(searcher, top(matches.scores, limit, allowed & every))
        rest = top(matches.scores, limit - len(first), allowed & ~every) if len(first) < limit else []
        result.ranked = first + by_score(searcher, rest)
    else:
        result.ranked = by_score(searcher, top(matches.scores, limit, allowed))
    if strict_total:
        listed = [d for d, _ in result.ranked]
        result.partial = set(listed) - matching(evaluator, compiled.query, listed)
    return result


def _word_matches(evaluator: Evaluator, compiled: CompiledQuery, ranked: list[tuple[int, float]]) -> set[int] | None:
    """The candidates that have the reader's words as words (None: no n-gram could have matched)."""
    if compiled.word_query is None or compiled.word_query == compiled.query:
        return None
    return matching(evaluator, compiled.word_query, [d for d, _ in ranked])


def matching(evaluator: Evaluator, query: wq.Query, docnums: Iterable[int]) -> set[int]:
    """The given documents that the query matches."""
    found = evaluator.docs(query)
    return {d for d in docnums if found[d]}


def fuse(
    searcher: Searcher,
    words: list[tuple[int, float]],
    gram_vector: np.ndarray,
    *,
    first: set[int] | None = None,
) -> list[tuple[int, float]]:
    """The word ranking's candidates re-ranked by their word and n-gram scores together.

    Each score is divided by the best candidate's, and the n-gram score counts
    FUSION_WEIGHT times. The n-grams count every shared stretch of text, so a
    compound cut differently still lifts the right article. Candidates in
    `first` rank before the rest.
    """
    best_words = max((score for _, score in words), default=0.0) or 1.0
    best_grams = max((float(gram_vector[d]) for d, _ in words), default=0.0) or 1.0
    fused = by_score(
        searcher,
        [(d, score / best_words + FUSION_WEIGHT * float(gram_vector[d]) / best_grams) for d, score in words],
    )
    if first is None:
        return fused
    return [item for item in fused if item[0] in first] + [item for item in fused if item[0] not in first]
