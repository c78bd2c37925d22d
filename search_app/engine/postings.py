"""Postings read as arrays, phrases matched on their positions, and matches turned into characters.

Whoosh's matchers step posting by posting in Python and build a Span object
per occurrence. Here a term's postings come from the segment's flat arrays
(indexer/flatpostings.py) as slices of the memory map, and a phrase compares
its words' positions as arrays. Character offsets are not stored: they are
recomputed from the stored text and token tables (indexer/offsets.py).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from indexer.flatpostings import FlatPostings, TermRange, term_range
from indexer.offsets import GramText, OffsetMap, decode_spans, title_spans
from indexer.schema import TITLE_REPEAT

# Documents whose stored fields and offset maps are kept per process: the hits of recent queries.
CACHED_DOCUMENTS = 256


@dataclass
class Postings:
    """One term's postings in one segment: segment docnums and weights (count times the field's boost)."""

    ids: np.ndarray
    weights: np.ndarray


def flat_postings(reader: object) -> FlatPostings | None:
    """The segment's flat postings (opened with the segment), or None for a segment without text postings."""
    return getattr(getattr(reader, "_terms", None), "flat", None)


def _term(reader: object, fieldname: str, word: str) -> tuple[FlatPostings, TermRange] | None:
    flat = flat_postings(reader)
    if flat is None or fieldname not in flat.fields:
        return None
    try:
        info = reader.term_info(fieldname, word)  # type: ignore[attr-defined]
    except TermNotFound:
        return None
    return flat, term_range(info)


def read_postings(reader: object, fieldname: str, word: str, wanted: np.ndarray | None = None) -> Postings:
    """The word's postings in a segment, all of them or only the `wanted` (sorted segment docnums).

    A posting's weight is its count times the field's boost, as Whoosh's would be.
    Deleted documents may be among them: the callers' masks leave them out.
    """
    ids, counts = _counts(reader, fieldname, word, wanted)
    if not len(ids):
        return Postings(ids, counts.astype(np.float64))
    boost = reader.schema[fieldname].format.field_boost  # type: ignore[attr-defined]
    return Postings(ids, counts * boost)


def _counts(reader: object, fieldname: str, word: str, wanted: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The word's documents in a segment and its count in each (all, or only the `wanted`)."""
    found = _term(reader, fieldname, word)
    if found is None or (wanted is not None and not len(wanted)):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    flat, term = found
    ids, counts = flat.doc_ids(term), flat.counts(term)
    if wanted is not None:
        picked = _found(ids, wanted)
        ids, counts = ids[picked], counts[picked]
    return ids, counts


def gram_postings(reader: object, gram: str, wanted: np.ndarray | None = None) -> Postings:
    """The gram's postings in text_ng, which is not stored: title_ng's counts TITLE_REPEAT times plus body_ng's.

    The same numbers the indexer would have written (indexer/schema.py), from the two fields it repeats.
    """
    title_ids, title_counts = _counts(reader, "title_ng", gram, wanted)
    body_ids, body_counts = _counts(reader, "body_ng", gram, wanted)
    tf = body_counts.astype(np.float64)
    if not len(title_ids):
        return Postings(body_ids, tf)
    # Both lists are sorted and unique: titles' counts join the body's where both have the gram,
    # and the other titles' documents are inserted in order (no scratch array over the segment).
    at, held = _lookup(body_ids, title_ids)
    tf[at[held]] += TITLE_REPEAT * title_counts[held]
    if held.all():
        return Postings(body_ids, tf)
    extra = ~held
    where = np.searchsorted(body_ids, title_ids[extra])
    ids = np.insert(body_ids, where, title_ids[extra])
    return Postings(ids, np.insert(tf, where, TITLE_REPEAT * title_counts[extra].astype(np.float64)))


def gram_doc_frequency(reader: object, gram: str) -> int:
    """In how many documents of a segment the gram stands in the title or the body (text_ng's document frequency)."""
    title_ids, _ = _counts(reader, "title_ng", gram, None)
    found = _term(reader, "body_ng", gram)
    if found is None:
        return len(title_ids)
    flat, term = found
    both = int(_lookup(flat.doc_ids(term), title_ids)[1].sum()) if len(title_ids) else 0
    return len(title_ids) + (term.end - term.start) - both


def _found(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Indexes into the sorted `ids` of the sorted `wanted` values it holds."""
    at, held = _lookup(ids, wanted)
    return at[held]


def _held(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Whether each of `wanted` is in the sorted `ids`."""
    return _lookup(ids, wanted)[1]


def _lookup(ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `wanted` would be in the sorted `ids`, and whether it is there."""
    if not len(ids):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    return at, ids[at] == wanted


def phrase_matches(
    searcher: Searcher, fieldname: str, words: list[str], allowed: np.ndarray, *, slop: int = 1
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The allowed documents where the words stand in order, and each word's weight (tf) in them.

    Whoosh's rule (an ordered SpanNear with mindist 1): each word 1 to `slop`
    positions after the previous one. `allowed` is a boolean array by docnum.
    """
    docs: list[np.ndarray] = []
    weights: list[list[np.ndarray]] = [[] for _ in words]
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        local_allowed = allowed[offset : offset + reader.doc_count_all()]
        found = _flat_phrase(reader, fieldname, words, local_allowed, slop)
        if len(found[0]):
            docs.append(found[0] + offset)
            for k, w in enumerate(found[1]):
                weights[k].append(w)
    if not docs:
        return np.zeros(0, dtype=np.int64), [np.zeros(0, dtype=np.float64) for _ in words]
    return np.concatenate(docs), [np.concatenate(w) for w in weights]


def _flat_phrase(
    reader: object, fieldname: str, words: list[str], allowed: np.ndarray, slop: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """phrase_matches in one segment, from its flat arrays."""
    empty = (np.zeros(0, dtype=np.int64), [])
    terms = [_term(reader, fieldname, w) for w in words]
    if any(t is None for t in terms):
        return empty
    flat = terms[0][0]  # type: ignore[index]
    ranges = [t[1] for t in terms]  # type: ignore[index]
    ids = [flat.doc_ids(t) for t in ranges]
    boost = reader.schema[fieldname].format.field_boost  # type: ignore[attr-defined]
    # The rarest word first, then only the documents that have every word.
    order = sorted(range(len(words)), key=lambda k: len(ids[k]))
    candidates = ids[order[0]]
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
        # Owners ascend and so do positions within a posting: the keys come sorted, and a
        # stable sort (timsort) only checks that. Sorted keys are looked up by bisection.
        keys = np.sort((owners << 32) + positions, kind="stable")
        if reach is None:
            reach = keys
        elif slop <= 1:
            reach = keys[_held(reach, keys - 1)]
        else:
            before = np.searchsorted(reach, keys - 1, side="right") - 1
            ok = before >= 0
            ok[ok] = reach[before[ok]] >= keys[ok] - slop
            reach = keys[ok]
        if not len(reach):
            return empty
    assert reach is not None
    owners = reach >> 32
    hits = owners[np.concatenate(([True], owners[1:] != owners[:-1]))]
    found_weights = [flat.counts(t)[picked[hits]] * boost for t, picked in zip(ranges, picks, strict=True)]
    return candidates[hits], found_weights


def characters(
    searcher: Searcher, fieldname: str, word: str, docnums: list[int]
) -> dict[int, list[tuple[int, int, int]]]:
    """(position, startchar, endchar) of each occurrence of the word in each of the given documents (sorted).

    For the word and reading fields: positions come from the postings, characters from the
    document's stored text (offsets.OffsetMap). N-gram runs are found in the text (gram_spans).
    """
    found: dict[int, list[tuple[int, int, int]]] = {}
    if not docnums:
        return found
    wanted = np.asarray(docnums, dtype=np.int64)
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        local = wanted[(wanted >= offset) & (wanted < offset + reader.doc_count_all())] - offset
        term = _term(reader, fieldname, word) if len(local) else None
        if term is None:
            continue
        flat, where = term
        ids = flat.doc_ids(where)
        picked = _found(ids, local)
        if not len(picked):
            continue
        positions, owners = flat.positions_of(where, picked)
        # Owners come in order: each document's positions are one stretch of the array.
        bounds = np.searchsorted(owners, np.arange(len(picked) + 1)).tolist()
        all_positions = positions.tolist()
        for k, docnum in enumerate((ids[picked] + offset).tolist()):
            spans = _CACHE.get(searcher, docnum, fieldname)
            occurrences = []
            for pos in all_positions[bounds[k] : bounds[k + 1]]:
                span = spans.span(pos)
                if span is not None:
                    occurrences.append((pos, *span))
            found[docnum] = occurrences
    return found


def gram_spans(searcher: Searcher, fieldname: str, run: str, docnums: list[int]) -> dict[int, list[tuple[int, int]]]:
    """Where the grams of `run` stand in a row in an n-gram field of each document: spans of its stored text."""
    found = {}
    for docnum in docnums:
        spans = _CACHE.get(searcher, docnum, fieldname).find(run)
        if spans:
            found[docnum] = spans
    return found


def stored_fields(searcher: Searcher, docnum: int) -> dict[str, Any]:
    """A document's stored fields, decompressed once for its highlights and its hit."""
    return _CACHE.get(searcher, docnum, "")


# The stored text each field's offsets refer to, and what kind of positions it has.
_SOURCES = {
    "title": ("title", "words"),
    "body": ("body", "words"),
    "tags": ("tags", "words"),
    "title_ng": ("title", "ngrams"),
    "body_ng": ("body", "ngrams"),
    "title_rd": ("title", "readings"),
    "body_rd": ("body", "readings"),
}


class _DocumentCache:
    """Recently highlighted documents' stored fields and offset maps, kept per searcher (an index generation)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._docs: weakref.WeakKeyDictionary[Searcher, OrderedDict[int, dict[str, Any]]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, searcher: Searcher, docnum: int, fieldname: str) -> Any:
        """The document's offset map of the field, or its stored fields for the field name ""."""
        with self._lock:
            docs = self._docs.setdefault(searcher, OrderedDict())
            entry = docs.get(docnum)
            if entry is not None:
                docs.move_to_end(docnum)
                found = entry.get(fieldname)
                if found is not None:
                    return found
        # Built outside the lock; two threads may build the same map, and either copy is right.
        if entry is None:
            entry = {"": searcher.stored_fields(docnum)}
        found = entry[""] if fieldname == "" else offset_map(entry[""], fieldname)
        with self._lock:
            entry[fieldname] = found
            docs[docnum] = entry
            while len(docs) > self._size:
                docs.popitem(last=False)
        return found

    def clear(self) -> None:
        """Forget every document (benchmarks measure cold highlights with it)."""
        with self._lock:
            self._docs.clear()


_CACHE = _DocumentCache(CACHED_DOCUMENTS)


def offset_map(stored: dict[str, Any], fieldname: str) -> OffsetMap | GramText:
    """The position → characters map of one field of a document (a GramText for n-grams), from its stored fields."""
    source, kind = _SOURCES[fieldname]
    text = stored.get(source) or ""
    if kind == "ngrams":
        return GramText(text)
    if source == "title":
        spans = title_spans(text, stored.get("title_words") or ())
    else:
        spans = decode_spans(stored.get(f"{source}_spans") or b"", kana=source == "body")
    return OffsetMap(kind, spans)
