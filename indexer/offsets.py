"""Character offsets of a field's positions, recomputed from what the index stores once.

Postings keep positions only. A highlight turns a position back into characters:
- n-gram fields: grams at consecutive positions are consecutive characters of one
  run, so a run of grams is found by its characters in the stored text as the
  n-gram fields see it (GramText), with no postings read at all;
- word fields: a small token table per document (each word's gap and length,
  delta-encoded as varints) gives the span of the word at each position; the
  title's table is its stored words (`title_words`), found in order in the title;
- reading fields: the same tables with each word's reading length rebuild the
  reading string's positions exactly as the indexer numbered them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexer.ngrams import KANA_WORD, ngram_text, to_katakana

# A word's span in the text and the length of its reading in katakana (0: no kana reading).
Span = tuple[int, int, int]


def kana_length(reading: str) -> int:
    """How many reading characters a word adds to the reading field (0 breaks the reading string)."""
    kana = to_katakana(reading) if reading and reading != "*" else ""
    return len(kana) if kana and KANA_WORD.fullmatch(kana) else 0


def encode_spans(spans: Sequence[Span], *, kana: bool) -> bytes:
    """A token table: per word the gap since the last word's end, its length, and (with `kana`) its reading length.

    The gap is zigzag-encoded: words from one NFKC unit (㈱ → (株)) share its span, so it can be negative.
    """
    out = bytearray()
    last = 0
    for start, end, reading in spans:
        gap = start - last
        _varint(out, gap * 2 if gap >= 0 else -gap * 2 - 1)
        _varint(out, end - start)
        if kana:
            _varint(out, reading)
        last = end
    return bytes(out)


def decode_spans(data: bytes, *, kana: bool) -> np.ndarray:
    """The words' spans and reading lengths of a token table: an (n, 3) array of start, end, reading length."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if not len(raw):
        return np.zeros((0, 3), dtype=np.int64)
    # Varints in numpy: each value ends at a byte below 0x80; its bytes carry 7 bits each.
    ends = np.flatnonzero(raw < 0x80)
    starts = np.concatenate(([0], ends[:-1] + 1))
    owner = np.repeat(np.arange(len(ends)), ends - starts + 1)
    shifts = 7 * (np.arange(len(raw)) - starts[owner])
    values = np.add.reduceat((raw & 0x7F).astype(np.int64) << shifts, starts)
    step = 3 if kana else 2
    values = values[: len(values) // step * step].reshape(-1, step)
    gaps = values[:, 0]
    gaps = np.where(gaps & 1, -((gaps + 1) >> 1), gaps >> 1)
    lengths = values[:, 1]
    # start_i = end_(i-1) + gap_i, end_i = start_i + length_i: ends are cumulative sums.
    word_ends = np.cumsum(gaps + lengths)
    spans = np.zeros((len(values), 3), dtype=np.int64)
    spans[:, 0] = word_ends - lengths
    spans[:, 1] = word_ends
    if kana:
        spans[:, 2] = values[:, 2]
    return spans


def _varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def title_spans(title: str, words: Sequence[tuple[str, str, str, str]]) -> list[Span]:
    """The title's word spans from its stored words (surface, reading, …), found in order."""
    spans: list[Span] = []
    cursor = last_start = 0
    for surface, reading, *_pos in words:
        start = title.find(surface, cursor)
        if start < 0:
            # Words from one NFKC unit (½ → 1⁄2) share its span: the same surface again.
            start = title.find(surface, last_start)
        if start < 0:
            break  # a title stored by another analysis: keep what was found
        last_start, cursor = start, start + len(surface)
        spans.append((start, cursor, kana_length(reading)))
    return spans


class OffsetMap:
    """Position → character span in one stored text, for one word or reading field of one document."""

    def __init__(self, kind: str, spans: Sequence[Span] | np.ndarray = ()) -> None:
        self.kind = kind
        table = np.asarray(spans, dtype=np.int64).reshape(-1, 3)
        self._starts, self._ends = table[:, 0], table[:, 1]
        if kind == "readings":
            self._reading_chars(table[:, 2])

    def _reading_chars(self, kana: np.ndarray) -> None:
        """Number the reading characters as reading_grams does: each word without a reading ends a run, +1."""
        breaks = kana == 0
        # Run r holds the words after the r-th break; a break (and the end) flushes it: position += chars + 1.
        run_of = np.cumsum(breaks) - breaks
        chars = np.bincount(run_of[~breaks], weights=kana[~breaks], minlength=int(breaks.sum()) + 1).astype(np.int64)
        self._run_bases = np.concatenate(([0], np.cumsum(chars + 1)))[:-1]
        self._run_chars = chars
        self._run_first = np.concatenate(([0], np.cumsum(chars)))[:-1]
        words = np.flatnonzero(~breaks)
        self._char_word = np.repeat(words, kana[words])

    def span(self, position: int) -> tuple[int, int] | None:
        """The characters of the term at `position`, or None if the position is not in this text."""
        if self.kind == "words":
            if 0 <= position < len(self._starts):
                return int(self._starts[position]), int(self._ends[position])
            return None
        # A reading bigram covers the words of its two reading characters.
        run = int(np.searchsorted(self._run_bases, position, side="right")) - 1
        within = position - int(self._run_bases[run]) if run >= 0 else -1
        if within < 0 or within + 1 >= self._run_chars[run]:
            return None
        first = int(self._run_first[run]) + within
        return int(self._starts[self._char_word[first]]), int(self._ends[self._char_word[first + 1]])


class GramText:
    """A stored text as the n-gram fields see it (NFKC, lower case, iteration marks written out)."""

    def __init__(self, text: str) -> None:
        self._norm, self._text = ngram_text(text)

    def find(self, run: str) -> list[tuple[int, int]]:
        """Every place (overlapping ones too) where the grams of `run` stand in a row, as stored-text spans.

        A run's grams at consecutive positions are its characters in a row: word characters
        side by side always belong to one run of the field, so a plain search finds them.
        """
        found = []
        at = self._text.find(run)
        while at >= 0 and run:
            found.append(self._norm.span(at, at + len(run)))
            at = self._text.find(run, at + 1)
        return found
