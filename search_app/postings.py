"""Postings read as arrays, and phrases matched on their positions.

Whoosh's matchers step posting by posting in Python and build a Span object
per occurrence. Here a term's postings come from the segment's flat arrays
(indexer/flatpostings.py) as slices of the memory map, and a phrase compares
its words' positions as arrays. A segment written before those arrays existed
is read a block at a time through Whoosh's private block API (pinned by
whoosh<2.8): blocks without a wanted document are skipped unread, and a phrase
reads its rarest word in full and the others only where that one occurs.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from dataclasses import dataclass

import numpy as np
from whoosh.searching import Searcher

from indexer.flatpostings import FlatPostings, TermRange, open_flat

logger = logging.getLogger(__name__)

# What a segment reader without flat postings caches (None is a cached "has none").
_UNSET = object()


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
    if wanted is not None and not len(wanted):
        return empty
    flat = None if values else flat_postings(reader)
    if flat is not None:
        term = flat.term(reader, fieldname, word)
        if term is not None:
            return _from_flat(flat, term, wanted)
    if (fieldname, word) not in reader:  # type: ignore[operator]
        return empty
    matcher = _block_matcher(reader, fieldname, word)
    if matcher is None:
        return _read_one_by_one(reader, fieldname, word, wanted, values=values)
    found = _read_blocks(matcher, wanted, values=values)
    return empty if found is None else found


def _read_blocks(matcher: object, wanted: np.ndarray | None, *, values: bool) -> Postings | None:
    """The postings of the wanted documents (or all), block by block; None if there are none."""
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
            picked = _found(block, wanted[i:j])
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
        return None
    return Postings(np.concatenate(ids_parts), np.concatenate(weight_parts), found_values if values else None)


def flat_postings(reader: object) -> FlatPostings | None:
    """The segment's flat postings, opened once per segment reader (a segment never changes)."""
    cached = getattr(reader, "_flat_postings", _UNSET)
    if cached is _UNSET:
        try:
            cached = open_flat(reader)
        except ValueError as exc:
            # Whoosh's blocks hold everything too: answer from them, and say why.
            segment = reader.segment()  # type: ignore[attr-defined]
            logger.warning("segment %s: flat postings unreadable (%s); reading Whoosh's blocks", segment, exc)
            cached = None
        reader._flat_postings = cached  # type: ignore[attr-defined]
    return cached  # type: ignore[return-value]


def _from_flat(flat: FlatPostings, term: TermRange, wanted: np.ndarray | None) -> Postings:
    ids = flat.ids[term.start : term.end]
    weights = flat.weights[term.start : term.end]
    if wanted is not None:
        picked = _found(ids, wanted)
        ids, weights = ids[picked], weights[picked]
    return Postings(ids.astype(np.int64), weights.astype(np.float64))


def _found(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Indexes into the sorted `ids` of the sorted `wanted` values it holds."""
    at, held = _lookup(ids, wanted)
    return at[held]


def _lookup(ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `wanted` would be in the sorted `ids`, and whether it is there."""
    if not len(ids):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    return at, ids[at] == wanted


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
        flat = flat_postings(reader)
        found_flat = _flat_phrase(flat, reader, fieldname, words, local_allowed, slop) if flat is not None else None
        if found_flat is not None:
            if len(found_flat[0]):
                docs.append(found_flat[0] + offset)
                for k, w in enumerate(found_flat[1]):
                    weights[k].append(w)
            continue
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


def _flat_phrase(
    flat: FlatPostings, reader: object, fieldname: str, words: list[str], allowed: np.ndarray, slop: int
) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """phrase_matches in one segment from its flat arrays (None: a word is only in Whoosh's blocks)."""
    empty = (np.zeros(0, dtype=np.int64), [])
    terms = [flat.term(reader, fieldname, w) for w in words]
    if any(t is None for t in terms):
        missing = [w for w, t in zip(words, terms, strict=True) if t is None]
        return None if any((fieldname, w) in reader for w in missing) else empty  # type: ignore[operator]
    ranges = [t for t in terms if t is not None]
    ids = [flat.ids[t.start : t.end] for t in ranges]
    # The rarest word first, then only the documents that have every word.
    order = sorted(range(len(words)), key=lambda k: len(ids[k]))
    candidates = ids[order[0]].astype(np.int64)
    candidates = candidates[allowed[candidates]]
    for k in order[1:]:
        candidates = candidates[_lookup(ids[k], candidates)[1]]
    if not len(candidates):
        return empty
    picks = [np.searchsorted(ids[k], candidates) for k in range(len(words))]
    # Each occurrence as one number, (candidate << 32) + position; positions stay far below 2**32,
    # so the chain never runs from one document into the next.
    reach: np.ndarray | None = None
    for term, picked in zip(ranges, picks, strict=True):
        positions, owners = flat.positions_of(term, picked)
        keys = (owners << 32) + positions
        if reach is None:
            reach = np.sort(keys)
        elif slop <= 1:
            reach = keys[np.isin(keys - 1, reach)]
        else:
            before = np.searchsorted(reach, keys - 1, side="right") - 1
            ok = before >= 0
            ok[ok] = reach[before[ok]] >= keys[ok] - slop
            reach = np.sort(keys[ok])
        if not len(reach):
            return empty
    assert reach is not None
    hits = np.unique(reach >> 32)
    found_weights = [
        flat.weights[t.start : t.end][picked[hits]].astype(np.float64) for t, picked in zip(ranges, picks, strict=True)
    ]
    return candidates[hits], found_weights


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
        if not len(local):
            continue
        values = _values_by_block(reader, fieldname, word, local)
        if values is None:
            postings = read_postings(reader, fieldname, word, local, values=True)
            values = dict(zip(postings.ids.tolist(), postings.values or [], strict=True))
        for docnum, value in values.items():
            found[docnum + offset] = decode(value)
    return found


def _values_by_block(reader: object, fieldname: str, word: str, local: np.ndarray) -> dict[int, bytes] | None:
    """The raw values of the word's postings in the given documents, read from just their blocks.

    The flat postings say which posting holds each document and where its block
    starts; None when the segment has no flat postings for the word.
    """
    flat = flat_postings(reader)
    term = flat.term(reader, fieldname, word) if flat is not None else None
    if flat is None or term is None:
        return None
    ids = flat.ids[term.start : term.end]
    matcher = _block_matcher(reader, fieldname, word)
    if matcher is None:
        return None
    values: dict[int, bytes] = {}
    block_start = -1
    for index in _found(ids, local).tolist():
        start, within = flat.block_of(term, index)
        if start != block_start:
            matcher._goto(start)  # type: ignore[attr-defined]
            matcher._read_values()  # type: ignore[attr-defined]
            block_start = start
        values[int(ids[index])] = matcher._values[within]  # type: ignore[attr-defined]
    return values
