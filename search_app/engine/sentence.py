"""A sentence (a question, a headline) ranked as a whole, with numpy over the postings.

Keywords no article has all of are ranked the same way. Every article with at
least one of the words is a candidate. Each gets the words'
BM25 (title, body and tags, each field times its boost) and the n-grams' BM25
(text_ng), each divided by the best candidate's, and the sum grows with the share
of the sentence's words the article has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.schema import SEARCH_FIELDS
from search_app.engine.evaluator import Evaluator

# Score × (1 + COVERAGE_BOOST × share²), share = the fraction of the sentence's
# words an article has: an article with all of them counts twice (make eval).
COVERAGE_BOOST = 1.0


@dataclass
class SentenceMatches:
    """Every candidate's fused score, and which of the sentence's words each article has."""

    scores: np.ndarray
    # One boolean array per unit: the articles that have it.
    present: list[np.ndarray]
    # The articles with at least one of the words (the candidates).
    matching: np.ndarray


def _word_terms(query: wq.Query) -> list[tuple[str, str]]:
    """The query's word terms (field, text), wherever they stand in it."""
    terms = [(leaf.fieldname, leaf.text) for leaf in query.leaves() if isinstance(leaf, wq.Term)]
    return list(dict.fromkeys(t for t in terms if t[0] in SEARCH_FIELDS))


def _any_of_words(query: wq.Query) -> bool:
    """True if the query matches exactly the documents with any of its word terms (a Term, or an Or of such)."""
    if isinstance(query, wq.Term):
        return query.fieldname in SEARCH_FIELDS
    return isinstance(query, wq.Or) and all(_any_of_words(q) for q in query.subqueries)


def score_sentence(
    searcher: Searcher,
    units: list[wq.Query],
    grams: np.ndarray,
    gram_weight: float,
    *,
    evaluator: Evaluator | None = None,
) -> SentenceMatches:
    """The fused score of every document for a sentence made of `units`, with its n-gram scores `grams`."""
    evaluator = evaluator or Evaluator(searcher)
    size = searcher.doc_count_all()
    words = np.zeros(size, dtype=np.float64)
    present: list[np.ndarray] = []
    for unit in units:
        has = np.zeros(size, dtype=bool)
        exact = _any_of_words(unit)
        for fieldname, text in _word_terms(unit):
            # The evaluator's BM25 (the searcher's K1 and B), read once for this and for the units.
            ids, found = evaluator.term(fieldname, text)
            # Whoosh already counts the boost into each occurrence's weight (tf);
            # the field's score counts it once more, as the tuned ranking does.
            words[ids] += searcher.schema[fieldname].format.field_boost * found
            if exact:
                has[ids] = True
        if not exact:
            # A compound, a phrase, a word also found by n-grams or by its reading:
            # the evaluator says which articles have it.
            has |= evaluator.docs(unit)
        present.append(has)
    candidates = np.logical_or.reduce(present) if present else np.zeros(size, dtype=bool)
    matches = SentenceMatches(np.zeros(size, dtype=np.float64), present, candidates)
    if not candidates.any():
        return matches
    best_words = float(words[candidates].max()) or 1.0
    best_grams = float(grams[candidates].max()) or 1.0
    share = np.add.reduce([p.astype(np.float64) for p in present]) / len(present)
    fused = (words / best_words + gram_weight * grams / best_grams) * (1.0 + COVERAGE_BOOST * share**2)
    # Every candidate is listed, even one found by its reading alone (no word or n-gram score).
    matches.scores = np.where(candidates, np.maximum(fused, 1e-12), 0.0)
    return matches
