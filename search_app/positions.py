"""Phrase checks over stored positions, for the documents that have every word of a phrase.

Whoosh's span matchers build a Span object per occurrence and compare them in
Python for every document with all the words; here each word's positions are
decoded only for the documents still in the running, and a document drops out
as soon as the chain breaks.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np
from whoosh.searching import Searcher


def phrase_docs(
    searcher: Searcher, fieldname: str, words: list[str], candidates: np.ndarray, *, slop: int = 1
) -> np.ndarray:
    """The candidates (sorted docnums with every word) where the words stand in order.

    Whoosh's rule (an ordered SpanNear with mindist 1): each word 1 to `slop`
    positions after the previous one.
    """
    found: list[np.ndarray] = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        end = offset + reader.doc_count_all()
        local = candidates[(candidates >= offset) & (candidates < end)] - offset
        if not len(local):
            continue
        reach = positions(reader, fieldname, words[0], local)
        for word in words[1:]:
            if not reach:
                break
            alive = np.fromiter(sorted(reach), dtype=np.int64, count=len(reach))
            following = positions(reader, fieldname, word, alive)
            reach = {
                doc: kept for doc, before in reach.items() if (kept := _advance(before, following.get(doc, []), slop))
            }
        found.append(np.fromiter(sorted(reach), dtype=np.int64, count=len(reach)) + offset)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _advance(before: list[int], after: list[int], slop: int) -> list[int]:
    """The positions in `after` that stand 1 to `slop` positions after one in `before`."""
    if slop <= 1:
        previous = set(before)
        return [p for p in after if p - 1 in previous]
    kept = []
    for p in after:
        i = bisect_left(before, p - slop)
        if i < len(before) and before[i] <= p - 1:
            kept.append(p)
    return kept


def positions(reader: object, fieldname: str, word: str, wanted: np.ndarray) -> dict[int, list[int]]:
    """The word's positions in each of the wanted documents (sorted segment docnums) that have it."""
    out: dict[int, list[int]] = {}
    if not len(wanted) or (fieldname, word) not in reader:  # type: ignore[operator]
        return out
    matcher = reader.postings(fieldname, word)  # type: ignore[attr-defined]
    decode = reader.schema[fieldname].format.decoder("positions")  # type: ignore[attr-defined]
    if not (hasattr(matcher, "_read_ids") and hasattr(matcher, "_maxid")):
        # A segment with deletions wraps its postings: the public, one-by-one API.
        for doc in wanted.tolist():
            if not matcher.is_active():
                break
            if matcher.id() < doc:
                matcher.skip_to(doc)
            if matcher.is_active() and matcher.id() == doc:
                out[doc] = decode(matcher.value())
        return out
    # Whoosh's own block reader (its private API, pinned by whoosh<2.8): blocks with
    # no wanted document are skipped unread, the rest decoded for the wanted ones only.
    i, n = 0, len(wanted)
    while i < n and matcher.is_active():
        last = matcher._maxid
        j = int(np.searchsorted(wanted, last, side="right"))
        if j > i:
            matcher._read_ids()
            ids = np.asarray(matcher._ids, dtype=np.int64)
            at = np.minimum(np.searchsorted(ids, wanted[i:j]), len(ids) - 1)
            hits = np.flatnonzero(ids[at] == wanted[i:j])
            if len(hits):
                matcher._read_values()
                values = matcher._values
                for k in hits.tolist():
                    out[int(wanted[i + k])] = decode(values[int(at[k])])
            i = j
        matcher._next_block()
    return out
