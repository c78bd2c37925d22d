"""Whoosh postings read block by block, and phrases matched on their positions.

Whoosh's matchers step posting by posting in Python and build a Span object
per occurrence. Here a term's postings come a block at a time (its private
block API, pinned by whoosh<2.8), blocks without a wanted document are skipped
unread, and a phrase reads its rarest word in full and the others only where
that one occurs; positions are decoded for the documents still in the running.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np
from whoosh.searching import Searcher


@dataclass
class Postings:
    """One term's postings in one segment: segment docnums, weights and (when asked for) raw values."""

    ids: np.ndarray
    weights: np.ndarray
    values: list[bytes] | None = None


def _block_matcher(reader: object, fieldname: str, word: str) -> object | None:
    """The term's leaf block reader, unwrapped from the deletion filter (callers drop deleted documents)."""
    matcher = reader.postings(fieldname, word)  # type: ignore[attr-defined]
    while not hasattr(matcher, "_read_ids") and hasattr(matcher, "child"):
        matcher = matcher.child
    return matcher if hasattr(matcher, "_maxid") and hasattr(matcher, "_next_block") else None


def read_postings(
    reader: object, fieldname: str, word: str, wanted: np.ndarray | None = None, *, values: bool = False
) -> Postings:
    """The word's postings in a segment, all of them or only the `wanted` (sorted segment docnums).

    Deleted documents may be among them: the callers' masks leave them out.
    """
    empty = Postings(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), [] if values else None)
    if (fieldname, word) not in reader or (wanted is not None and not len(wanted)):  # type: ignore[operator]
        return empty
    matcher = _block_matcher(reader, fieldname, word)
    if matcher is None:
        return _read_one_by_one(reader, fieldname, word, wanted, values=values)
    ids_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    found_values: list[bytes] = []
    i = 0
    while matcher.is_active():  # type: ignore[attr-defined]
        picked = None
        if wanted is not None:
            if i >= len(wanted):
                break
            j = int(np.searchsorted(wanted, matcher._maxid, side="right"))  # type: ignore[attr-defined]
            if j == i:
                matcher._next_block()  # type: ignore[attr-defined]
                continue
            matcher._read_ids()  # type: ignore[attr-defined]
            block = np.asarray(matcher._ids, dtype=np.int64)  # type: ignore[attr-defined]
            at = np.minimum(np.searchsorted(block, wanted[i:j]), len(block) - 1)
            picked = at[block[at] == wanted[i:j]]
            i = j
            if not len(picked):
                matcher._next_block()  # type: ignore[attr-defined]
                continue
        else:
            matcher._read_ids()  # type: ignore[attr-defined]
            block = np.asarray(matcher._ids, dtype=np.int64)  # type: ignore[attr-defined]
        matcher._read_weights()  # type: ignore[attr-defined]
        weights = np.asarray(matcher._weights, dtype=np.float64)  # type: ignore[attr-defined]
        if values:
            matcher._read_values()  # type: ignore[attr-defined]
            raw = matcher._values  # type: ignore[attr-defined]
            found_values.extend(raw if picked is None else [raw[k] for k in picked.tolist()])
        ids_parts.append(block if picked is None else block[picked])
        weight_parts.append(weights if picked is None else weights[picked])
        matcher._next_block()  # type: ignore[attr-defined]
    if not ids_parts:
        return empty
    return Postings(np.concatenate(ids_parts), np.concatenate(weight_parts), found_values if values else None)


def _read_one_by_one(reader: object, fieldname: str, word: str, wanted: np.ndarray | None, *, values: bool) -> Postings:
    """The public matcher API, for a postings format without Whoosh's block reader."""
    matcher = reader.postings(fieldname, word)  # type: ignore[attr-defined]
    ids: list[int] = []
    weights: list[float] = []
    found: list[bytes] = []
    targets = iter(wanted.tolist()) if wanted is not None else None
    while matcher.is_active():
        if targets is not None:
            target = next(targets, None)
            if target is None:
                break
            if matcher.id() < target:
                matcher.skip_to(target)
            if not matcher.is_active() or matcher.id() != target:
                continue
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if values:
            found.append(matcher.value())
        matcher.next()
    return Postings(np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64), found if values else None)


def phrase_matches(
    searcher: Searcher, fieldname: str, words: list[str], allowed: np.ndarray, *, slop: int = 1
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The allowed documents where the words stand in order, and each word's weight (tf) in them.

    Whoosh's rule (an ordered SpanNear with mindist 1): each word 1 to `slop`
    positions after the previous one. `allowed` is a boolean array by docnum.
    """
    decode = searcher.schema[fieldname].format.decoder("positions")
    docs: list[np.ndarray] = []
    weights: list[list[np.ndarray]] = [[] for _ in words]
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        local_allowed = allowed[offset : offset + reader.doc_count_all()]
        # The rarest word first: the others are read only where it occurs.
        order = sorted(range(len(words)), key=lambda k: reader.doc_frequency(fieldname, words[k]))
        found: dict[int, Postings] = {}
        candidates: np.ndarray | None = None
        for k in order:
            postings = read_postings(reader, fieldname, words[k], candidates, values=True)
            if candidates is None:
                keep = local_allowed[postings.ids]
                postings = _subset(postings, np.flatnonzero(keep))
            found[k] = postings
            candidates = postings.ids
            if not len(candidates):
                break
        if candidates is None or not len(candidates):
            continue
        # Every word's postings cut down to the final candidates, in their order.
        aligned = [_subset(found[k], np.searchsorted(found[k].ids, candidates)) for k in range(len(words))]
        hits = [
            n
            for n in range(len(candidates))
            if _in_order([decode(p.values[n]) for p in aligned], slop)  # type: ignore[index]
        ]
        if hits:
            picked = np.asarray(hits, dtype=np.int64)
            docs.append(candidates[picked] + offset)
            for k, p in enumerate(aligned):
                weights[k].append(p.weights[picked])
    if not docs:
        return np.zeros(0, dtype=np.int64), [np.zeros(0, dtype=np.float64) for _ in words]
    return np.concatenate(docs), [np.concatenate(w) for w in weights]


def _subset(postings: Postings, index: np.ndarray) -> Postings:
    values = None if postings.values is None else [postings.values[k] for k in index.tolist()]
    return Postings(postings.ids[index], postings.weights[index], values)


def _in_order(positions: list[list[int]], slop: int) -> bool:
    """Whether some chain takes one position per word, each 1 to `slop` after the one before."""
    reach = positions[0]
    for following in positions[1:]:
        reach = _advance(reach, following, slop)
        if not reach:
            return False
    return True


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


def characters(
    searcher: Searcher, fieldname: str, word: str, docnums: list[int]
) -> dict[int, list[tuple[int, int, int]]]:
    """(position, startchar, endchar) of each occurrence of the word in each of the given documents (sorted)."""
    found: dict[int, list[tuple[int, int, int]]] = {}
    if not docnums:
        return found
    decode = searcher.schema[fieldname].format.decoder("characters")
    wanted = np.asarray(docnums, dtype=np.int64)
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        local = wanted[(wanted >= offset) & (wanted < offset + reader.doc_count_all())] - offset
        if len(local):
            postings = read_postings(reader, fieldname, word, local, values=True)
            for docnum, value in zip(postings.ids.tolist(), postings.values or [], strict=True):
                found[docnum + offset] = decode(value)
    return found
