"""An article's opening: a sentence's words in the title or early in the body count more.

Articles state their subject in the title and the first lines (a news lede, a
blog post's introduction), and a headline or question repeats it. The best
LEAD_DEPTH candidates of a sentence are each multiplied by
1 + LEAD_BOOST × (the share of the sentence's bigrams, by idf, found in the
title, or in the body with a weight that decays with how late they first occur).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

import numpy as np
from whoosh.searching import Searcher

from search_app.engine.bm25 import GRAM_FIELD, top

# make eval, one setting for both sets: JSQuAD unchanged (its paragraphs are short),
# livedoor headlines 0.825 -> 0.87 (a news article's lede restates its headline). On whole
# Wikipedia articles, where answers sit deep inside, it costs 0.005 (README).
LEAD_BOOST = 4.0
# Characters after which a first occurrence weighs 1/e of one at the start.
LEAD_DECAY = 300.0
# Candidates re-ranked (the rest keep their order below them: the boost only raises).
LEAD_DEPTH = 30
# Body characters looked at: later first occurrences weigh almost nothing.
LEAD_SCAN = 2000


def _normalized(text: str) -> str:
    """NFKC and lower case, as the n-grams of a query are (positions are only weighed, not marked)."""
    return unicodedata.normalize("NFKC", text).lower()


def opening_share(title: str, body: str, weights: dict[str, float]) -> float:
    """The idf-weighted share of the bigrams in the title, or early in the body (decaying), 0..1."""
    total = sum(weights.values())
    if not total:
        return 0.0
    title, body = _normalized(title), _normalized(body[:LEAD_SCAN])
    found = 0.0
    for gram, weight in weights.items():
        if gram in title:
            found += weight
        elif (at := body.find(gram)) >= 0:
            found += weight * math.exp(-at / LEAD_DECAY)
    return found / total


def boost_openings(searcher: Searcher, scores: np.ndarray, allowed: np.ndarray, grams: Iterable[str]) -> None:
    """Multiply the best LEAD_DEPTH allowed scores, in place, by how much of the query their openings hold."""
    weights = {g: searcher.idf(GRAM_FIELD, g) for g in dict.fromkeys(grams) if len(g) == 2}
    if not weights:
        return
    for docnum, _score in top(scores, LEAD_DEPTH, allowed):
        stored = searcher.stored_fields(docnum)
        share = opening_share(stored.get("title", ""), stored.get("body", ""), weights)
        scores[docnum] *= 1.0 + LEAD_BOOST * share
