"""The opening feature: how much of the query an article's title and first lines hold.

Articles state their subject in the title and the first lines (a news lede, a
blog post's introduction), and a headline or question repeats it. The share of
the query's bigrams, by idf, found in the title, or in the body with a weight
that decays with how late they first occur (settings.LEAD_*).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from whoosh.searching import Searcher

from indexer.ngrams import normalize
from search_app.engine.arrays import top
from search_app.engine.bm25 import GRAM_FIELD
from search_app.engine.settings import LEAD_DECAY, LEAD_DEPTH, LEAD_SCAN


def opening_share(title: str, body: str, weights: dict[str, float]) -> float:
    """The idf-weighted share of the bigrams in the title, or early in the body (decaying), 0..1."""
    total = sum(weights.values())
    if not total:
        return 0.0
    # In the query's n-grams' form (色々 → 色色), so every gram can be found; positions are only weighed.
    title, body = normalize(title), normalize(body[:LEAD_SCAN])
    found = 0.0
    for gram, weight in weights.items():
        if gram in title:
            found += weight
        elif (at := body.find(gram)) >= 0:
            found += weight * math.exp(-at / LEAD_DECAY)
    return found / total


def opening_shares(searcher: Searcher, scores: np.ndarray, allowed: np.ndarray, grams: Iterable[str]) -> np.ndarray:
    """Every article's opening share, read for the best LEAD_DEPTH allowed by `scores` only (0 elsewhere)."""
    shares = np.zeros(len(scores), dtype=np.float64)
    weights = {g: searcher.idf(GRAM_FIELD, g) for g in dict.fromkeys(grams) if len(g) == 2}
    if not weights:
        return shares
    # Stored text is read only for the best few: the feature only re-ranks the top.
    for docnum, _score in top(scores, LEAD_DEPTH, allowed):
        stored = searcher.stored_fields(docnum)
        shares[docnum] = opening_share(stored.get("title", ""), stored.get("body", ""), weights)
    return shares
