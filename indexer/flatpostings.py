"""The text fields' postings: flat arrays per segment, the one copy of them.

For every term of a text field (words, n-grams, readings) a segment keeps its
documents, how often it occurs in each and, for positional fields, where, as
plain arrays that a query slices without decoding. Nothing else holds them:

- Whoosh's term dictionary keeps each term's statistics and where its postings
  start (TermInfo's extent: the first posting, the first position);
- weights are counts times the field's boost, so they are not stored;
- character offsets are not stored either: indexer/offsets.py recomputes them
  from the stored text (n-grams) or a small per-document token table (words).

Parts of a segment, by file extension: HEAD (magic, widths, totals and the
fields kept here), IDS (documents, 16 bits when the segment has at most 65,536),
COUNTS (one byte; 255 means "see OVERFLOW"), OVERFLOW (posting index and count
of the few counts over 254) and POSITIONS (16 bits when every position fits).
"""

from __future__ import annotations

import json
import mmap
import struct
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

HEAD, IDS, COUNTS, OVERFLOW, POSITIONS = (f".flat.{p}" for p in ("head", "ids", "counts", "over", "positions"))
PARTS = (HEAD, IDS, COUNTS, OVERFLOW, POSITIONS)
MAGIC = b"FLATPST3"
# magic, id bytes, position bytes, postings, positions, overflow entries, length of the field list
_HEAD = struct.Struct("<8sBBqqqI")
SATURATED = 255
_SEPARATOR = "\0"


@dataclass(frozen=True)
class FieldPostings:
    """One document's postings in one field, grouped by term: what a worker hands the writer.

    `terms` are sorted and joined by NUL (one string pickles far faster than a
    list of them); `positions` hold each term's positions in term order.
    """

    terms: str
    counts: array
    positions: array
    length: int

    def term_list(self) -> list[str]:
        """The terms, sorted."""
        return self.terms.split(_SEPARATOR) if self.terms else []


def group(tokens: Iterable[tuple[str, int, int, int]], *, positions: bool = True) -> FieldPostings:
    """Group analyzed tokens (text, position, start, end) by term."""
    by_term: dict[str, list[int]] = {}
    for text, pos, _start, _end in tokens:
        if _SEPARATOR in text:
            continue  # never in real text; it would split the term
        found = by_term.get(text)
        if found is None:
            by_term[text] = [pos]
        else:
            found.append(pos)
    terms = sorted(by_term)
    counts = array("I", [len(by_term[t]) for t in terms])
    flat = array("I")
    if positions:
        for t in terms:
            flat.extend(by_term[t])
    return FieldPostings(_SEPARATOR.join(terms), counts, flat, sum(counts))


@dataclass(frozen=True)
class TermRange:
    """Where one term's postings and positions start in the segment's arrays."""

    start: int
    end: int
    positions_start: int


def term_range(info: Any) -> TermRange:
    """The range a flat field's TermInfo points at (its extent: first posting, first position)."""
    # Whoosh 2.7 reads the second part of an extent back as a 1-tuple.
    length = info._length[0] if isinstance(info._length, tuple) else info._length
    return TermRange(int(info._offset), int(info._offset) + int(info._df), int(length))


class FlatPostings:
    """One segment's flat postings, mapped in place."""

    def __init__(self, parts: dict[str, memoryview | bytes]) -> None:
        head = bytes(parts[HEAD])
        if len(head) < _HEAD.size or head[: len(MAGIC)] != MAGIC:
            msg = "not a flat postings file of this version (wrong magic)"
            raise ValueError(msg)
        _magic, id_bytes, pos_bytes, postings, positions, overflow, names = _HEAD.unpack_from(head)
        self.fields: frozenset[str] = frozenset(json.loads(head[_HEAD.size : _HEAD.size + names]))
        try:
            self.ids = np.frombuffer(parts[IDS], dtype=_width(id_bytes))
            self._counts = np.frombuffer(parts[COUNTS], dtype=np.uint8)
            over = np.frombuffer(parts[OVERFLOW], dtype=np.int64).reshape(-1, 2)
            self.positions = np.frombuffer(parts[POSITIONS], dtype=_width(pos_bytes))
        except ValueError as exc:  # a part cut inside a number
            msg = f"flat postings parts disagree in length (a part is cut short: {exc})"
            raise ValueError(msg) from exc
        self._over_at, self._over_count = over[:, 0], over[:, 1]
        # The head holds the totals: a part cut short or left from another write fails here.
        if not (len(self.ids) == len(self._counts) == postings and len(self.positions) == positions):
            msg = "flat postings parts disagree in length"
            raise ValueError(msg)
        if len(self._over_at) != overflow:
            msg = "flat postings overflow table disagrees in length"
            raise ValueError(msg)

    def doc_ids(self, term: TermRange) -> np.ndarray:
        """The term's documents (segment docnums), ascending."""
        return self.ids[term.start : term.end].astype(np.int64)

    def counts(self, term: TermRange) -> np.ndarray:
        """How often the term occurs in each of its documents."""
        counts = self._counts[term.start : term.end].astype(np.int64)
        if len(self._over_at):
            lo, hi = np.searchsorted(self._over_at, (term.start, term.end))
            if hi > lo:
                counts[self._over_at[lo:hi] - term.start] = self._over_count[lo:hi]
        return counts

    def positions_of(self, term: TermRange, picked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the picked postings (indexes into the term's postings), with each one's owner.

        Owners are indexes into `picked`; positions come in posting order.
        """
        counts = self.counts(term)
        firsts = term.positions_start + np.concatenate(([0], np.cumsum(counts)[:-1]))
        wanted_counts = counts[picked]
        total = int(wanted_counts.sum())
        owners = np.repeat(np.arange(len(picked), dtype=np.int64), wanted_counts)
        within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(wanted_counts) - wanted_counts, wanted_counts)
        return self.positions[np.repeat(firsts[picked], wanted_counts) + within].astype(np.int64), owners


def _width(nbytes: int) -> type[np.unsignedinteger[Any]]:
    return {2: np.uint16, 4: np.uint32}[nbytes]


class FlatWriter:
    """Streams one segment's flat parts: fields one after another, each sorted by term then document."""

    def __init__(self, create: Any, *, id_bytes: int, pos_bytes: int) -> None:
        self._files = {part: create(part) for part in PARTS if part != HEAD}
        self._create = create
        self.id_bytes, self.pos_bytes = id_bytes, pos_bytes
        self.postings = 0
        self.positions = 0
        self.fields: list[str] = []
        self._overflow: list[np.ndarray] = []

    def add_field(self, fieldname: str, docs: np.ndarray, counts: np.ndarray, positions: np.ndarray) -> None:
        """A field's postings (already in term, then document order) and their positions."""
        self.fields.append(fieldname)
        self._files[IDS].write(docs.astype(_width(self.id_bytes)).tobytes())
        over = np.flatnonzero(counts >= SATURATED)
        if len(over):
            self._overflow.append(np.stack([over + self.postings, counts[over]], axis=1).astype(np.int64))
        self._files[COUNTS].write(np.minimum(counts, SATURATED).astype(np.uint8).tobytes())
        self._files[POSITIONS].write(positions.astype(_width(self.pos_bytes)).tobytes())
        self.postings += len(docs)
        self.positions += len(positions)

    def close(self) -> None:
        """Write the overflow table, then the head (last: it vouches for the others), and close."""
        over = np.concatenate(self._overflow) if self._overflow else np.zeros((0, 2), dtype=np.int64)
        self._files[OVERFLOW].write(over.tobytes())
        for f in self._files.values():
            f.close()
        names = json.dumps(self.fields).encode("utf-8")
        head = self._create(HEAD)
        head.write(
            _HEAD.pack(MAGIC, self.id_bytes, self.pos_bytes, self.postings, self.positions, len(over), len(names))
            + names
        )
        head.close()


def open_flat(storage: Any, segment: Any) -> FlatPostings | None:
    """The segment's flat postings, or None when it has none (a segment of the small fields only).

    Raises ValueError when the parts are there but of another format or do not fit together.
    """
    names = {part: segment.make_filename(part) for part in PARTS}
    if not storage.file_exists(names[HEAD]):
        return None
    parts: dict[str, memoryview | bytes] = {}
    for part, name in names.items():
        if not storage.file_exists(name):
            msg = f"flat postings part {part} is missing"
            raise ValueError(msg)
        parts[part] = _contents(storage.open_file(name))
    return FlatPostings(parts)


def _contents(f: Any) -> memoryview | bytes:
    """A part's bytes: the mapped compound file's view, else a map of the file, else a copy."""
    buf = getattr(f, "_buf", None)
    if buf is not None:
        return buf  # the compound storage owns the map
    try:
        fileno = getattr(getattr(f, "file", None), "fileno", None)
        if fileno is not None:
            try:
                # The map outlives the file, which is closed below.
                return memoryview(mmap.mmap(fileno(), 0, access=mmap.ACCESS_READ))
            except (OSError, ValueError):  # an empty file cannot be mapped
                pass
        f.seek(0)
        return f.read()
    finally:
        f.close()
