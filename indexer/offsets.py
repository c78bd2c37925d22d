"""Character offsets of a field's positions, recomputed from what the index stores once.

Postings keep positions only. A highlight turns a position back into characters:
- n-gram fields: the position is the character's place in the stored text's
  runs (plus one gap per run), so the stored text gives the offsets back;
- word fields: a small token table per document (each word's gap and length,
  delta-encoded as varints) gives the span of the word at each position; the
  title's table is its stored words (`title_words`), found in order in the title;
- reading fields: the same tables with each word's reading length rebuild the
  reading string's positions exactly as the indexer numbered them.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from indexer.ngrams import KANA_WORD, RUN, ngram_text, reading_grams, to_katakana

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


def decode_spans(data: bytes, *, kana: bool) -> list[Span]:
    """The words' spans (and reading lengths) of a token table."""
    values: list[int] = []
    shift = value = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        values.append(value)
        shift = value = 0
    step = 3 if kana else 2
    spans: list[Span] = []
    last = 0
    for i in range(0, len(values) - step + 1, step):
        gap = values[i]
        start = last + (gap >> 1 if not gap & 1 else -((gap + 1) >> 1))
        end = start + values[i + 1]
        spans.append((start, end, values[i + 2] if kana else 0))
        last = end
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
    """Position (and term length) → character span in one stored text, for one field of one document."""

    def __init__(self, kind: str, text: str, spans: Sequence[Span] = ()) -> None:
        self.kind = kind
        self._text = text
        if kind == "words":
            self._words = [(s, e) for s, e, _k in spans]
        elif kind == "readings":
            fake = [("ア" * k if k else "", s, e, "", "") for s, e, k in spans]
            self._grams = {pos: (s, e) for _g, pos, s, e in reading_grams(fake)}
        else:
            self._norm, normalized = ngram_text(text)
            self._bases: list[int] = []
            self._run_starts: list[int] = []
            pos = 0
            for m in RUN.finditer(normalized):
                self._bases.append(pos)
                self._run_starts.append(m.start())
                pos += len(m.group()) + 1

    def span(self, position: int, term: str) -> tuple[int, int] | None:
        """The characters of `term` at `position`, or None if the position is not in this text."""
        if self.kind == "words":
            return self._words[position] if 0 <= position < len(self._words) else None
        if self.kind == "readings":
            return self._grams.get(position)
        run = bisect.bisect_right(self._bases, position) - 1
        if run < 0:
            return None
        start = self._run_starts[run] + position - self._bases[run]
        return self._norm.span(start, start + len(term))
