"""Whoosh's segment writer and codec, with the text fields' postings kept only as flat arrays.

Whoosh would pool every posting as a tuple, pickle its positions and character
offsets, sort the pool, and write zlib'd blocks; here a text field's postings
arrive grouped by the worker (flatpostings.FieldPostings), are kept in arrays,
sorted once with numpy at the commit, and written as the segment's flat parts.
Whoosh's term dictionary still holds every term, with its statistics and where
its postings start, so Whoosh's reader API (term info, frequencies, matchers)
keeps working: a matcher of a text field is built from the arrays. The small
fields (path, digest, tag, category, date) go through Whoosh unchanged.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3FieldWriter, W3TermsReader
from whoosh.fields import TEXT, FieldType, Schema
from whoosh.matching import ListMatcher
from whoosh.system import pack_uint, pack_ushort
from whoosh.writing import SegmentWriter

from indexer.flatpostings import FieldPostings, FlatPostings, FlatWriter, TermRange, group, open_flat, term_range

# W3TermInfo's layout (flags, weight, doc frequency, min and max length bytes,
# max weight, first and last document) followed by its extent: first posting, first position.
_TERMINFO = struct.Struct("!BfIBBfIIqi")
_MAX_EXTENT = 2**31 - 1
_SMALL_IDS = 1 << 16


def is_flat(field: FieldType) -> bool:
    """True for the fields whose postings live in the flat arrays: the analyzed text fields."""
    return isinstance(field, TEXT)


class LeanCodec(W3Codec):
    """Whoosh's W3 codec whose segments keep the text fields' postings flat (recorded in each segment)."""

    def field_writer(self, storage: Any, segment: Any) -> LeanFieldWriter:
        return LeanFieldWriter(self, storage, segment)

    def terms_reader(self, storage: Any, segment: Any) -> LeanTermsReader:
        tiname = segment.make_filename(self.TERMS_EXT)
        flat = open_flat(storage, segment)  # first: if it fails, nothing is left open
        tifile = storage.open_file(tiname)
        postfile = segment.open_file(storage, self.POSTS_EXT)
        return LeanTermsReader(self, tifile, storage.file_length(tiname), postfile, flat)


class FieldPool:
    """One field's postings of the segment being written, in arrays (term ids, documents, counts, positions)."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.term_ids = array("I")
        self.docs = array("I")
        self.counts = array("I")
        self.positions = array("I")
        self.max_position = 0

    def __len__(self) -> int:
        return len(self.docs)

    def add(self, docnum: int, postings: FieldPostings) -> None:
        """One document's postings of the field."""
        vocab = self.vocab
        # len(vocab) is read before setdefault inserts: a new term gets the next id.
        ids = [vocab.setdefault(t, len(vocab)) for t in postings.term_list()]
        self.term_ids.extend(ids)
        self.docs.extend([docnum] * len(ids))
        self.counts.extend(postings.counts)
        if postings.positions:
            self.positions.extend(postings.positions)
            self.max_position = max(self.max_position, max(postings.positions))  # noqa: PLW3301 - max of an array in C

    def add_term(self, term: str, docs: np.ndarray, counts: np.ndarray, positions: np.ndarray) -> None:
        """A term's postings copied from another segment (documents already renumbered)."""
        tid = self.vocab.setdefault(term, len(self.vocab))
        self.term_ids.extend(array("I", [tid]) * len(docs))
        self.docs.frombytes(docs.astype(np.uint32).tobytes())
        self.counts.frombytes(counts.astype(np.uint32).tobytes())
        if len(positions):
            self.positions.frombytes(positions.astype(np.uint32).tobytes())
            self.max_position = max(self.max_position, int(positions.max()))

    def sorted(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Terms in order, where each one's postings start, and documents, counts, positions sorted by term."""
        terms = sorted(self.vocab)
        rank = np.empty(len(terms), dtype=np.int64)
        rank[np.fromiter((self.vocab[t] for t in terms), dtype=np.int64, count=len(terms))] = np.arange(len(terms))
        keys = rank[np.frombuffer(self.term_ids, dtype=np.uint32)]
        docs = np.frombuffer(self.docs, dtype=np.uint32)
        counts = np.frombuffer(self.counts, dtype=np.uint32).astype(np.int64)
        order = np.lexsort((docs, keys))
        keys, sorted_docs, sorted_counts = keys[order], docs[order], counts[order]
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        positions = np.zeros(0, dtype=np.uint32)
        if self.positions:
            positions = _gather_positions(np.frombuffer(self.positions, dtype=np.uint32), counts, order)
        return terms, starts, sorted_docs.astype(np.int64), sorted_counts, positions


# Postings moved per step when positions are reordered: bounds the temporary index arrays
# (a 50,000-article body field holds ~10^8 positions; one int64 index over all of them is ~1 GB).
_GATHER_POSTINGS = 1 << 20


def _gather_positions(source: np.ndarray, counts: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The positions of the postings in `order` (each posting's `counts` positions, as they were added)."""
    firsts = np.cumsum(counts) - counts
    sorted_counts = counts[order]
    placed = np.cumsum(sorted_counts) - sorted_counts
    out = np.empty(int(sorted_counts.sum()), dtype=source.dtype)
    for a in range(0, len(order), _GATHER_POSTINGS):
        b = min(a + _GATHER_POSTINGS, len(order))
        chunk = sorted_counts[a:b]
        lo = int(placed[a])
        hi = lo + int(chunk.sum())
        # Posting k's positions move from where it was added to where it now stands.
        shift = firsts[order[a:b]] - placed[a:b]
        out[lo:hi] = source[np.repeat(shift, chunk) + np.arange(lo, hi, dtype=np.int64)]
    return out


class LeanFieldWriter(W3FieldWriter):
    """Whoosh's field writer, plus the flat fields: their term rows in Whoosh's table, their postings flat."""

    def write_flat(self, schema: Schema, pools: dict[str, FieldPool], lengths: Any, doccount: int) -> None:
        """Write the pooled fields (after Whoosh's own fields: keys must keep increasing)."""
        pools = {name: pool for name, pool in pools.items() if len(pool)}
        if not pools:
            return
        max_position = max(pool.max_position for pool in pools.values())
        flat = FlatWriter(
            self._create_file,
            id_bytes=2 if doccount <= _SMALL_IDS else 4,
            pos_bytes=2 if max_position < _SMALL_IDS else 4,
        )
        for name in sorted(pools):
            fieldobj = schema[name]
            terms, starts, docs, counts, positions = pools[name].sorted()
            length_bytes = _length_bytes(lengths, name, doccount)
            self.start_field(name, fieldobj)
            self._add_terms(name, fieldobj, terms, starts, docs, counts, length_bytes, flat.postings, flat.positions)
            self.finish_field()
            flat.add_field(name, docs, counts, positions)
        flat.close()

    def _add_terms(
        self,
        name: str,
        fieldobj: FieldType,
        terms: list[str],
        starts: np.ndarray,
        docs: np.ndarray,
        counts: np.ndarray,
        length_bytes: np.ndarray,
        posting_base: int,
        position_base: int,
    ) -> None:
        """One row per term in Whoosh's term table, with the statistics Whoosh would have computed."""
        boost = fieldobj.format.field_boost
        ends = np.append(starts[1:], len(docs))
        doc_lengths = length_bytes[docs]
        weights = np.add.reduceat(counts, starts) * boost
        max_weights = np.maximum.reduceat(counts, starts) * boost
        min_lengths = np.minimum.reduceat(doc_lengths, starts)
        max_lengths = np.maximum.reduceat(doc_lengths, starts)
        position_starts = position_base + np.cumsum(counts)[starts] - counts[starts] if len(counts) else starts
        if len(starts) and (posting_base + len(docs) > 2**63 - 1 or int(position_starts[-1]) > _MAX_EXTENT):
            msg = f"field {name}: too many positions for one segment ({int(position_starts[-1])})"
            raise OverflowError(msg)
        prefix = pack_ushort(self._fieldid)
        pack, add = _TERMINFO.pack, self._tindex.add
        for term, weight, df, minl, maxl, maxw, first, last, start, pstart in zip(
            terms,
            weights.tolist(),
            (ends - starts).tolist(),
            min_lengths.tolist(),
            max_lengths.tolist(),
            max_weights.tolist(),
            docs[starts].tolist(),
            docs[ends - 1].tolist(),
            (posting_base + starts).tolist(),
            position_starts.tolist(),
            strict=True,
        ):
            add(prefix + term.encode("utf-8"), pack(0, weight, df, minl, maxl, maxw, first, last, start, pstart))


def _length_bytes(lengths: Any, fieldname: str, doccount: int) -> np.ndarray:
    """Every document's field length as Whoosh stores it (one byte), by docnum."""
    column = lengths._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if column is None:
        return np.zeros(doccount, dtype=np.int64)
    return np.fromiter((column[d] for d in range(doccount)), dtype=np.int64, count=doccount)


class _Values:
    """A flat term's postings as Whoosh's encoded values, made when asked for (merges and highlights never ask)."""

    def __init__(self, flat: FlatPostings, term: TermRange, counts: np.ndarray, fmt: Any) -> None:
        self._flat, self._counts, self._format = flat, counts, fmt
        self._positional = fmt.supports("positions")
        self._firsts = term.positions_start + np.concatenate(([0], np.cumsum(counts)[:-1]))

    def __len__(self) -> int:
        return len(self._counts)

    def __getitem__(self, i: int) -> bytes:
        count = int(self._counts[i])
        if not self._positional:
            return pack_uint(count)  # what Whoosh's Frequency format writes
        first = int(self._firsts[i])
        return self._format.encode(self._flat.positions[first : first + count].tolist())


class LeanTermsReader(W3TermsReader):
    """Whoosh's term reader; a flat field's matcher is built from the segment's arrays."""

    def __init__(self, codec: W3Codec, dbfile: Any, length: int, postfile: Any, flat: FlatPostings | None) -> None:
        super().__init__(codec, dbfile, length, postfile)
        self.flat = flat

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        if self.flat is None or fieldname not in self.flat.fields:
            return super().matcher(fieldname, tbytes, format_, scorer=scorer)
        info = self.term_info(fieldname, tbytes)
        term = term_range(info)
        counts = self.flat.counts(term)
        return ListMatcher(
            self.flat.doc_ids(term).tolist(),
            (counts * format_.field_boost).tolist(),
            _Values(self.flat, term, counts, format_),
            format_,
            scorer=scorer,
            term=(fieldname, tbytes),
            terminfo=info,
        )


class LeanWriter(SegmentWriter):
    """Whoosh's segment writer with the text fields pooled as arrays and written flat."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        kwargs.setdefault("codec", LeanCodec())
        super().__init__(ix, **kwargs)
        self._flat = {name: FieldPool() for name, field in self.schema.items() if is_flat(field)}

    def add_document(self, **fields: Any) -> None:
        """Whoosh's add_document, with text fields taken as FieldPostings (or text, analyzed here)."""
        flat = {name: fields.pop(name) for name in list(fields) if name in self._flat}
        if not flat:
            super().add_document(**fields)
            return
        self._check_state()
        docnum = self.docnum
        # Whoosh's own fields first, inside the same document of the per-document writer.
        pdw = self.perdocwriter
        start_doc, finish_doc = pdw.start_doc, pdw.finish_doc
        pdw.start_doc = lambda _n: None
        pdw.finish_doc = lambda: None
        start_doc(docnum)
        try:
            super().add_document(**fields)
        finally:
            pdw.start_doc, pdw.finish_doc = start_doc, finish_doc
        for name, value in flat.items():
            if value is None:
                continue
            fieldobj = self.schema[name]
            postings = value if isinstance(value, FieldPostings) else _analyze(fieldobj, value)
            self._flat[name].add(docnum, postings)
            stored = fields.get(f"_stored_{name}", value) if fieldobj.stored else None
            pdw.add_field(name, fieldobj, stored if isinstance(stored, str) else None, postings.length)
        finish_doc()

    def add_reader(self, reader: Any) -> None:
        """Merge a segment: Whoosh copies its stored fields, columns and small fields; flat fields from its arrays."""
        self._check_state()
        basedoc = self.docnum
        ndxnames = {f for f in reader.indexed_field_names() if f in self.schema}
        docmap = self.write_per_doc(set(self.schema.names()) | ndxnames, reader)
        for item in self._process_posts(_whoosh_postings(reader, self._flat), basedoc, docmap):
            self.pool.add(item)
        renumber = np.full(reader.doc_count_all(), -1, dtype=np.int64)
        if docmap is None:
            renumber[:] = np.arange(reader.doc_count_all()) + basedoc
        else:
            renumber[list(docmap)] = list(docmap.values())
        terms = getattr(reader, "_terms", None)
        flat = getattr(terms, "flat", None)
        if flat is not None:
            for (fieldname, btext), info in terms.items():
                if fieldname in self._flat and fieldname in flat.fields:
                    positional = self.schema[fieldname].format.supports("positions")
                    pool = self._flat[fieldname]
                    _copy_term(pool, flat, btext.decode("utf-8"), term_range(info), renumber, positional=positional)
        self._added = True

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        try:
            self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
            self.fieldwriter.write_flat(self.schema, self._flat, lengths, self.docnum)
            self.fieldwriter.close()
        finally:
            lengths.close()


def _analyze(fieldobj: FieldType, text: str) -> FieldPostings:
    """Postings of a field given as plain text (tests and tools; the indexer sends them grouped)."""
    tokens = ((t.text, t.pos, 0, 0) for t in fieldobj.analyzer(text, positions=True, mode="index"))
    return group(tokens, positions=fieldobj.format.supports("positions"))


def _whoosh_postings(reader: Any, flat_fields: dict[str, FieldPool]) -> Iterator[tuple[str, bytes, int, float, bytes]]:
    """The postings of the fields Whoosh keeps itself."""
    for fieldname, btext in reader.all_terms():
        if fieldname in flat_fields:
            continue
        m = reader.postings(fieldname, btext)
        while m.is_active():
            yield (fieldname, btext, m.id(), m.weight(), m.value())
            m.next()


def _copy_term(
    pool: FieldPool, flat: FlatPostings, term: str, where: TermRange, renumber: np.ndarray, *, positional: bool
) -> None:
    """One term's postings from a merged segment, its deleted documents left out."""
    docs = renumber[flat.doc_ids(where)]
    counts = flat.counts(where)
    kept = docs >= 0
    if not kept.any():
        return
    positions = np.zeros(0, dtype=np.uint32)
    if positional:
        positions = flat.positions[where.positions_start : where.positions_start + int(counts.sum())]
        positions = positions[np.repeat(kept, counts)]
    pool.add_term(term, docs[kept], counts[kept], positions)


def written_by_this_version(ix: Any) -> bool:
    """True if every segment of the index keeps its text postings flat (an older index needs a rebuild)."""
    return all(isinstance(segment.codec(), LeanCodec) for segment in ix._segments())
