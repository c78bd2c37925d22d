"""BM25 over whole postings lists, computed for every document at once with numpy.

A sentence's terms are many (a headline has 60 n-grams) and some are in most
documents (した, こと); Whoosh scores such a union posting by posting in Python,
seconds per query on 7,000 articles. Here each term's postings are read from the flat
arrays and scored at once, with the idf and field lengths Whoosh uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from search_app.engine.arrays import field_lengths, live_mask
from search_app.engine.postings import gram_doc_frequency, gram_postings, read_postings
from search_app.engine.settings import GRAM_B, GRAM_K1

# The n-gram field ranked here (its BM25 parameters are in settings.py).
# Its postings are not stored: they are title_ng's counts TITLE_REPEAT times plus
# body_ng's (postings.gram_postings); the index keeps only its lengths.
GRAM_FIELD = "text_ng"


def bm25(
    searcher: Searcher, fieldname: str, term: str, docnums: np.ndarray, tf: np.ndarray, *, k1: float, b: float
) -> np.ndarray:
    """The term's BM25 in the given documents, from its weight (tf) in each: Whoosh's formula and idf."""
    lengths = field_lengths(searcher, fieldname)
    avgfl = searcher.avg_field_length(fieldname) or 1.0
    norm = k1 * ((1 - b) + b * lengths[docnums] / avgfl)
    return searcher.idf(fieldname, term) * tf * (k1 + 1) / (tf + norm)


def term_scores(
    searcher: Searcher, fieldname: str, term: str, *, k1: float, b: float, among: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The live documents (docnums) with the term in the field, and the term's BM25 in each.

    With `among` (sorted docnums), only those documents are looked at.
    """
    id_parts: list[np.ndarray] = []
    tf_parts: list[np.ndarray] = []
    # text_ng's postings are computed: reading them says as much as its document frequency would.
    computed = fieldname == GRAM_FIELD
    if computed or searcher.doc_frequency(fieldname, term):
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            if not computed and not reader.doc_frequency(fieldname, term):
                continue
            wanted = None
            if among is not None:
                wanted = among[(among >= offset) & (among < offset + reader.doc_count_all())] - offset
                if not len(wanted):
                    continue
            if computed:
                postings = gram_postings(reader, term, wanted)
            else:
                postings = read_postings(reader, fieldname, term, wanted)
            id_parts.append(postings.ids + offset)
            tf_parts.append(postings.weights)
    if not id_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    ids, tf = np.concatenate(id_parts), np.concatenate(tf_parts)
    live = live_mask(searcher)[ids]
    ids, tf = ids[live], tf[live]
    return ids, bm25(searcher, fieldname, term, ids, tf, k1=k1, b=b)


def doc_frequency(searcher: Any, fieldname: str, term: str) -> int:
    """A term's document frequency over a searcher or a segment reader, text_ng's computed (see GRAM_FIELD)."""
    if fieldname != GRAM_FIELD:
        return searcher.doc_frequency(fieldname, term)
    if hasattr(searcher, "leaf_searchers"):
        return sum(gram_doc_frequency(sub.reader(), term) for sub, _offset in searcher.leaf_searchers())
    if hasattr(searcher, "leaf_readers"):
        return sum(gram_doc_frequency(reader, term) for reader, _base in searcher.leaf_readers())
    return gram_doc_frequency(searcher, term)


def gram_scores(searcher: Searcher, grams: Iterable[str], among: np.ndarray | None = None) -> np.ndarray:
    """BM25 of the grams over text_ng for every document, or only `among` (sorted docnums); 0 elsewhere."""
    scores = np.zeros(searcher.doc_count_all(), dtype=np.float64)
    for gram in dict.fromkeys(grams):
        ids, found = term_scores(searcher, GRAM_FIELD, gram, k1=GRAM_K1, b=GRAM_B, among=among)
        scores[ids] += found
    return scores
