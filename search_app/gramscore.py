"""The n-gram ranking (BM25 over text_ng) computed for every document at once with numpy.

A query's n-grams are many (a headline has 60) and some are in most documents
(した, こと); Whoosh scores such a union posting by posting in Python, seconds
per query on 7,000 articles. Here each gram's postings are read block by block
and scored as arrays, with the same formula, idf and lengths Whoosh uses.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable

import numpy as np
from whoosh.searching import Searcher

FIELD = "text_ng"

_stats: weakref.WeakKeyDictionary[Searcher, list[tuple[int, np.ndarray]]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _leaf_lengths(searcher: Searcher) -> list[tuple[int, np.ndarray]]:
    """Per segment: its first docnum and its documents' field lengths (0 for a deleted one)."""
    with _lock:
        found = _stats.get(searcher)
        if found is None:
            found = []
            for sub, offset in searcher.leaf_searchers():
                reader = sub.reader()
                lengths = np.zeros(reader.doc_count_all(), dtype=np.float64)
                for docnum in reader.all_doc_ids():  # live documents only
                    lengths[docnum] = reader.doc_field_length(docnum, FIELD, 0)
                found.append((offset, lengths))
            _stats[searcher] = found
        return found


def _postings(reader: object, gram: str) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers and weights of one term in one segment."""
    matcher = reader.postings(FIELD, gram)  # type: ignore[attr-defined]
    ids: list[int] = []
    weights: list[float] = []
    blocks = hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block")
    while matcher.is_active():
        if blocks:
            # Whoosh's own leaf matcher: whole blocks at a time (its private API, pinned by whoosh<2.8).
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
        else:
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)


def gram_scores(searcher: Searcher, grams: Iterable[str]) -> np.ndarray:
    """BM25 of the grams over text_ng for every document (0 where none occurs or the document is deleted)."""
    weighting = searcher.weighting
    b, k1 = float(weighting.B), float(weighting.K1)
    avgfl = searcher.avg_field_length(FIELD) or 1.0
    scores = np.zeros(searcher.doc_count_all(), dtype=np.float64)
    leaves = _leaf_lengths(searcher)
    readers = [sub.reader() for sub, _ in searcher.leaf_searchers()]
    for gram in dict.fromkeys(grams):
        if not searcher.doc_frequency(FIELD, gram):
            continue
        idf = searcher.idf(FIELD, gram)
        for reader, (offset, lengths) in zip(readers, leaves, strict=True):
            if not reader.doc_frequency(FIELD, gram):
                continue
            ids, tf = _postings(reader, gram)
            live = lengths[ids] > 0
            ids, tf = ids[live], tf[live]
            norm = k1 * ((1 - b) + b * lengths[ids] / avgfl)
            scores[ids + offset] += idf * tf * (k1 + 1) / (tf + norm)
    return scores


def top(scores: np.ndarray, limit: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The best `limit` (docnum, score) with a score above 0, among the allowed documents."""
    if allowed is not None:
        scores = np.where(allowed, scores, 0.0)
    count = int(np.count_nonzero(scores))
    if not count:
        return []
    k = min(limit, count)
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(d), float(scores[d])) for d in best]


def mask(searcher: Searcher, docnums: Iterable[int], *, keep: bool) -> np.ndarray:
    """True for the given documents (keep) or for every other document (not keep)."""
    flags = np.zeros(searcher.doc_count_all(), dtype=bool)
    flags[np.fromiter(docnums, dtype=np.int64)] = True
    return flags if keep else ~flags
