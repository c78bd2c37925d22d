"""The pipeline's second step: what each candidate is scored on, for every article at once with numpy.

words: the word BM25F over title, body and tags. For keywords it is the strict
query's own score (Whoosh's BM25 through the evaluator, with the compiler's
nearness bonus and its n-gram, reading and synonym alternatives); for a sentence
or relaxed keywords, the sum of each unit's word terms' BM25, each field's times
settings.UNIT_FIELD_WEIGHT. grams: the character n-gram BM25 over text_ng
(bm25.gram_scores). present: which articles have each unit (the coverage).
opening: how much of the query the best few's openings hold (openings.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from whoosh import query as wq

from indexer.schema import SEARCH_FIELDS
from search_app.engine.evaluator import Evaluator
from search_app.engine.settings import UNIT_FIELD_WEIGHT


@dataclass
class Features:
    """Each candidate's features, as arrays by docnum."""

    words: np.ndarray
    # The candidates each feature is scaled over (its best there counts 1).
    pool: np.ndarray
    # The n-gram BM25 (None: the query has no n-grams, and the word score stands alone, unscaled).
    grams: np.ndarray | None = None
    # One boolean array per unit: the articles that have it (none given: no coverage feature).
    present: list[np.ndarray] = field(default_factory=list)
    # The opening share, looked at for the best few only (None: not at all).
    opening: np.ndarray | None = None

    def share(self) -> np.ndarray:
        """The fraction of the query's units each article has."""
        return np.add.reduce([p.astype(np.float64) for p in self.present]) / len(self.present)


def _word_terms(query: wq.Query) -> list[tuple[str, str]]:
    """The query's word terms (field, text), wherever they stand in it."""
    terms = [(leaf.fieldname, leaf.text) for leaf in query.leaves() if isinstance(leaf, wq.Term)]
    return list(dict.fromkeys(t for t in terms if t[0] in SEARCH_FIELDS))


def _any_of_words(query: wq.Query) -> bool:
    """True if the query matches exactly the documents with any of its word terms (a Term, or an Or of such)."""
    if isinstance(query, wq.Term):
        return query.fieldname in SEARCH_FIELDS
    return isinstance(query, wq.Or) and all(_any_of_words(q) for q in query.subqueries)


def unit_words(evaluator: Evaluator, units: list[wq.Query]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The units' word terms' BM25 summed (each field weighted), and the articles that have each unit."""
    words = np.zeros(evaluator.size, dtype=np.float64)
    present: list[np.ndarray] = []
    for unit in units:
        has = np.zeros(evaluator.size, dtype=bool)
        exact = _any_of_words(unit)
        for fieldname, text in _word_terms(unit):
            # The evaluator's BM25 (the searcher's K1 and B), read once for this and for the units.
            ids, found = evaluator.term(fieldname, text)
            words[ids] += UNIT_FIELD_WEIGHT[fieldname] * found
            if exact:
                has[ids] = True
        if not exact:
            # A compound, a phrase, a word also found by n-grams or by its reading:
            # the evaluator says which articles have it.
            has |= evaluator.docs(unit)
        present.append(has)
    return words, present
