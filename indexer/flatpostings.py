"""Each segment's postings also written as flat arrays, which a query reads without decoding.

Whoosh keeps a term's postings in zlib-compressed, pickled blocks of 128, with
every posting's positions and character offsets pickled again inside. Reading
them was most of a query's CPU at 50,000 articles, even where only the
documents were wanted. Beside those blocks, the codec here writes every term's
documents, weights and positions as plain arrays (six parts of the segment),
and the app maps them in place. Whoosh's own files are unchanged and still hold
everything; highlights read their character offsets there, going straight to
the right block by the block offsets kept here.
"""

from __future__ import annotations

import mmap
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3PostingsWriter, W3Segment
from whoosh.reading import TermNotFound

# The parts of a segment, by file extension.
TERMS, IDS, WEIGHTS, COUNTS, POSITIONS, BLOCKS = (
    f".flat.{part}" for part in ("terms", "ids", "weights", "counts", "positions", "blocks")
)
PARTS = (TERMS, IDS, WEIGHTS, COUNTS, POSITIONS, BLOCKS)
# TERMS starts with the magic and Whoosh's block size (postings per block, every block full but the last).
MAGIC = b"FLATPST2"
_HEADER = len(MAGIC) + 8
# A term's row in TERMS: where its postings start in Whoosh's .pst file (the key
# its TermInfo gives), and its first posting, position and block here.
_ROW = 4
_END = np.iinfo(np.int64).max
# Entries buffered before a write: the writer's memory stays flat as the corpus grows.
_FLUSH_AT = 1 << 16


class FlatPostingsCodec(W3Codec):
    """Whoosh's W3 codec, whose segments also carry their postings as flat arrays.

    Segments record plain W3Codec, so any Whoosh reads them; merges write
    through this codec too, so a merged segment gets its arrays as well.
    """

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return FlatFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return BlockRecordingWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def new_segment(self, storage: Any, indexname: str) -> W3Segment:
        plain = W3Codec(blocklimit=self._blocklimit, compression=self._compression, inlinelimit=self._inlinelimit)
        return W3Segment(plain, indexname)


class BlockRecordingWriter(W3PostingsWriter):
    """Whoosh's postings writer, remembering where each block starts (where its matcher's _goto goes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.block_starts: list[int] = []

    def _write_block(self, last: bool = False) -> None:
        # The first block of a term comes after the postings' header tag.
        header = 0 if self._blockcount else len(WHOOSH3_HEADER_MAGIC)
        self.block_starts.append(self._postfile.tell() + header)
        super()._write_block(last)


class FlatWriter:
    """Streams terms, postings, positions and block offsets into the six parts."""

    def __init__(self, create: Callable[[str], Any], blocklimit: int) -> None:
        self._files = {part: create(part) for part in PARTS}
        self._files[TERMS].write(MAGIC + array("q", [blocklimit]).tobytes())
        self._terms = array("q")
        self._ids = array("I")
        self._weights = array("f")
        self._counts = array("I")
        self._positions = array("I")
        self._blocks = array("q")
        self._postings = 0
        self._positions_total = 0
        self._blocks_total = 0

    def start_term(self, offset: int) -> None:
        """A new term, keyed by where its postings start in Whoosh's postings file."""
        self._terms.extend((offset, self._postings, self._positions_total, self._blocks_total))
        if len(self._terms) >= _FLUSH_AT:
            self._flush()

    def add_blocks(self, starts: Sequence[int]) -> None:
        """Where the current term's blocks start in Whoosh's postings file, in order."""
        self._blocks.extend(starts)
        self._blocks_total += len(starts)

    def add(self, docnum: int, weight: float, positions: Sequence[int]) -> None:
        """One posting of the current term."""
        self._ids.append(docnum)
        self._weights.append(weight)
        self._counts.append(len(positions))
        self._positions.extend(positions)
        self._postings += 1
        self._positions_total += len(positions)
        if len(self._ids) >= _FLUSH_AT or len(self._positions) >= _FLUSH_AT:
            self._flush()

    def close(self) -> None:
        """Write the end row (so every term's range ends at the next row) and close the parts."""
        self._terms.extend((_END, self._postings, self._positions_total, self._blocks_total))
        self._flush()
        for f in self._files.values():
            f.close()

    def _flush(self) -> None:
        for part, buffered in (
            (TERMS, self._terms),
            (IDS, self._ids),
            (WEIGHTS, self._weights),
            (COUNTS, self._counts),
            (POSITIONS, self._positions),
            (BLOCKS, self._blocks),
        ):
            if buffered:
                self._files[part].write(buffered.tobytes())
                del buffered[:]


class FlatFieldWriter(W3FieldWriter):
    """Whoosh's field writer, also streaming every posting into a FlatWriter."""

    def __init__(self, codec: W3Codec, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._flat = FlatWriter(self._create_file, codec._blocklimit)
        self._decode_positions: Callable[[bytes], list[int]] | None = None

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        super().start_field(fieldname, fieldobj)
        fmt = fieldobj.format
        self._decode_positions = fmt.decoder("positions") if fmt.supports("positions") else None

    def start_term(self, btext: bytes) -> None:
        super().start_term(btext)
        self._flat.start_term(self._postwriter._startoffset)

    def add(self, docnum: int, weight: float, vbytes: bytes, length: int) -> None:
        super().add(docnum, weight, vbytes, length)
        decode = self._decode_positions
        self._flat.add(docnum, weight, decode(vbytes) if decode is not None and vbytes else ())

    def finish_term(self) -> None:
        postwriter = self._postwriter
        super().finish_term()
        self._flat.add_blocks(postwriter.block_starts)
        postwriter.block_starts.clear()

    def close(self) -> None:
        self._flat.close()
        super().close()


@dataclass(frozen=True)
class TermRange:
    """Where one term's postings and positions lie in the segment's arrays."""

    start: int
    end: int
    positions_start: int
    blocks_start: int


class FlatPostings:
    """One segment's flat postings, mapped in place."""

    def __init__(self, parts: dict[str, memoryview | bytes]) -> None:
        terms = parts[TERMS]
        if bytes(terms[: len(MAGIC)]) != MAGIC:
            msg = "not a flat postings file (wrong magic)"
            raise ValueError(msg)
        self.blocklimit = int(np.frombuffer(terms, dtype=np.int64, count=1, offset=len(MAGIC))[0])
        table = np.frombuffer(terms, dtype=np.int64, offset=_HEADER).reshape(-1, _ROW)
        self._offsets = np.ascontiguousarray(table[:, 0])
        self._starts = np.ascontiguousarray(table[:, 1])
        self._position_starts = np.ascontiguousarray(table[:, 2])
        self._block_starts = np.ascontiguousarray(table[:, 3])
        self.blocks = np.frombuffer(parts[BLOCKS], dtype=np.int64)
        self.ids = np.frombuffer(parts[IDS], dtype=np.uint32)
        self.weights = np.frombuffer(parts[WEIGHTS], dtype=np.float32)
        self.counts = np.frombuffer(parts[COUNTS], dtype=np.uint32)
        self.positions = np.frombuffer(parts[POSITIONS], dtype=np.uint32)
        # The end row holds the totals: a part cut short or left from another write fails here.
        if not (
            len(table)
            and self.blocklimit > 0
            and len(self.ids) == len(self.weights) == len(self.counts) == self._starts[-1]
            and len(self.positions) == self._position_starts[-1]
            and len(self.blocks) == self._block_starts[-1]
        ):
            msg = "flat postings parts disagree in length"
            raise ValueError(msg)

    def term(self, reader: Any, fieldname: str, word: str) -> TermRange | None:
        """The term's range, or None if the term is not in the segment."""
        try:
            info = reader.term_info(fieldname, word)
        except TermNotFound:
            return None
        offset = getattr(info, "_offset", None)
        if offset is None:
            return None
        i = int(np.searchsorted(self._offsets, offset))
        if i >= len(self._offsets) - 1 or self._offsets[i] != offset:
            return None
        return TermRange(
            int(self._starts[i]), int(self._starts[i + 1]), int(self._position_starts[i]), int(self._block_starts[i])
        )

    def positions_of(self, term: TermRange, picked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the picked postings (indexes into the term's postings), with each one's owner.

        Owners are indexes into `picked`; positions come in posting order.
        """
        counts = self.counts[term.start : term.end].astype(np.int64)
        firsts = term.positions_start + np.concatenate(([0], np.cumsum(counts)[:-1]))
        wanted_counts = counts[picked]
        total = int(wanted_counts.sum())
        owners = np.repeat(np.arange(len(picked), dtype=np.int64), wanted_counts)
        within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(wanted_counts) - wanted_counts, wanted_counts)
        return self.positions[np.repeat(firsts[picked], wanted_counts) + within].astype(np.int64), owners

    def block_of(self, term: TermRange, index: int) -> tuple[int, int]:
        """Where the block with the term's `index`-th posting starts in Whoosh's file, and the posting's place in it."""
        block, within = divmod(index, self.blocklimit)
        return int(self.blocks[term.blocks_start + block]), within


def add_missing(ix: Any) -> int:
    """Write flat postings for the index's segments that have none (built before them); how many.

    They go beside the segment as plain files, the terms part last, so a reader
    sees all six parts or none. A segment that has its parts is left alone even
    if they cannot be read (the app logs that and reads Whoosh's blocks), so a
    run never repeats this work. The caller holds the indexer's lock.
    """
    added = 0
    top = ix.reader()
    try:
        for reader, _docbase in top.leaf_readers():
            if reader.segment() is None or _part_names(reader) is not None:
                continue
            _write_from_blocks(reader, ix.storage, ix.schema)
            added += 1
    finally:
        top.close()
    return added


def _write_from_blocks(reader: Any, storage: Any, schema: Any) -> None:
    """Read every term's postings from Whoosh's blocks, in postings-file order, into the six parts."""
    segment = reader.segment()
    terms_reader = reader._terms
    entries = sorted(
        (info._offset, fieldname, btext) for (fieldname, btext), info in terms_reader.items() if not info.is_inlined()
    )
    names = {part: segment.make_filename(part) for part in PARTS}
    writer = FlatWriter(lambda part: storage.create_file(names[part] + ".tmp"), segment.codec()._blocklimit)
    for offset, fieldname, btext in entries:
        fmt = schema[fieldname].format
        decode = fmt.decoder("positions") if fmt.supports("positions") else None
        writer.start_term(offset)
        matcher = terms_reader.matcher(fieldname, btext, fmt)
        block_starts = [matcher._baseoffset]
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            values = None
            if decode is not None:
                matcher._read_values()
                values = matcher._values
            for i, docnum in enumerate(matcher._ids):
                writer.add(docnum, matcher._weights[i], decode(values[i]) if values is not None else ())
            block_starts.append(matcher._nextoffset)
            matcher._next_block()
        writer.add_blocks(block_starts[:-1])
    writer.close()
    for part in (IDS, WEIGHTS, COUNTS, POSITIONS, BLOCKS, TERMS):
        storage.rename_file(names[part] + ".tmp", names[part], safe=False)


def open_flat(reader: Any) -> FlatPostings | None:
    """The segment reader's flat postings, or None when its segment has none (built before them).

    Raises ValueError when the parts are there but of another format or do not fit together.
    """
    names = _part_names(reader)
    if names is None:
        return None
    storage = reader.storage()
    parts: dict[str, memoryview | bytes] = {}
    for part, name in names.items():
        parts[part] = _contents(storage.open_file(name))
    return FlatPostings(parts)


def _part_names(reader: Any) -> dict[str, str] | None:
    """The file names of the segment's six parts, if it has all of them."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    storage = reader.storage() if segment is not None else None
    if segment is None or storage is None:  # an empty index's reader has neither
        return None
    names = {part: segment.make_filename(part) for part in PARTS}
    return names if all(storage.file_exists(name) for name in names.values()) else None


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
