"""Snippets for Japanese text: sentence fragments around matches, escaped, then marked."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FRAGMENT_CHARS = 80
MAX_FRAGMENTS = 2
ELLIPSIS = "…"

# A sentence ends after 。！？!? (and any closing brackets), or at a line break.
_SENTENCE_END = re.compile(r"[。．！？!?]+[」』）)】]*|\n")


@dataclass(frozen=True, order=True)
class Match:
    """A matched term at [start, end) of the text."""

    start: int
    end: int
    term: str = ""


def merge_matches(matches: Iterable[Match]) -> list[Match]:
    """Sort matches and join overlapping or touching ones (経費+精算 → one mark)."""
    merged: list[Match] = []
    for m in sorted(matches):
        if m.end <= m.start:
            continue
        if merged and m.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Match(last.start, max(last.end, m.end), last.term or m.term)
        else:
            merged.append(m)
    return merged


def highlight(text: str, matches: Iterable[Match], start: int = 0, end: int | None = None) -> Markup:
    """Escape text[start:end] and wrap the matches in <mark>."""
    end = len(text) if end is None else end
    # Escaped pieces are joined as plain str and wrapped in Markup once: Markup's
    # own % and join re-check every piece, a fifth of a query's CPU on long hits.
    out: list[str] = []
    pos = start
    for m in merge_matches(matches):
        s, e = max(m.start, start), min(m.end, end)
        if e <= s:
            continue
        out.append(escape(text[pos:s]))
        out.append("<mark>")
        out.append(escape(text[s:e]))
        out.append("</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return Markup("".join(out))  # noqa: S704 - every piece of text was escaped above


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of the text, without surrounding whitespace."""
    trimmed: list[tuple[int, int]] = []
    start = 0
    for end in [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]:
        # str.strip() trims exactly what str.isspace() calls whitespace, at C speed.
        piece = text[start:end]
        left = piece.lstrip()
        if left:
            lo = start + len(piece) - len(left)
            trimmed.append((lo, lo + len(left.rstrip())))
        start = end
    return trimmed


@dataclass(frozen=True)
class _Fragment:
    start: int
    end: int
    matches: tuple[Match, ...]

    def score(self) -> tuple[int, int, int]:
        # More distinct terms first, then more matches, then earlier in the text.
        return (len({m.term or (m.start, m.end) for m in self.matches}), len(self.matches), -self.start)


def _window(start: int, end: int, matches: Sequence[Match], width: int) -> tuple[int, int]:
    """The `width`-character window of [start, end) that covers the most matches."""
    if end - start <= width:
        return start, end
    best = (start, min(end, start + width))
    best_count = -1
    for m in matches:
        lo = max(start, min(m.start - width // 5, end - width))
        hi = lo + width
        count = sum(1 for x in matches if x.start >= lo and x.end <= hi)
        if count > best_count:
            best, best_count = (lo, hi), count
    return best


def make_snippet(
    text: str,
    matches: Iterable[Match],
    *,
    width: int = FRAGMENT_CHARS,
    fragments: int = MAX_FRAGMENTS,
) -> Markup:
    """Up to `fragments` sentence fragments of about `width` characters, best first."""
    found = merge_matches(matches)
    spans = sentences(text)
    if not found:
        return _lead(text, spans, width)
    # Merged matches do not overlap, so starts and ends both ascend: the matches
    # inside a sentence are one slice, found by bisection instead of a scan per sentence.
    starts = [m.start for m in found]
    ends = [m.end for m in found]
    candidates: list[_Fragment] = []
    for s, e in spans:
        first = bisect_left(starts, s)
        inside = found[first : max(first, bisect_right(ends, e))]
        if not inside:
            continue
        lo, hi = _window(s, e, inside, width)
        candidates.append(_Fragment(lo, hi, tuple(m for m in inside if m.start >= lo and m.end <= hi)))
    if not candidates:
        return _lead(text, spans, width)
    chosen = sorted(candidates, key=_Fragment.score, reverse=True)[:fragments]
    parts = []
    for frag in chosen:
        sentence = next((s, e) for s, e in spans if s <= frag.start < e)
        body = highlight(text, frag.matches, frag.start, frag.end)
        prefix = ELLIPSIS if frag.start > sentence[0] else ""
        suffix = ELLIPSIS if frag.end < sentence[1] else ""
        parts.append(f"{prefix}{body}{suffix}")  # body is escaped; the ellipses need no escaping
    return Markup(" … ".join(parts))  # noqa: S704 - the parts are escaped by highlight()


def _lead(text: str, spans: list[tuple[int, int]], width: int) -> Markup:
    """The opening of the text when nothing in it matched (e.g. a title-only match)."""
    if not spans:
        return Markup("")
    start = spans[0][0]
    end = start
    for _s, e in spans:
        if e - start > width * 2 and end > start:
            break
        end = e
    if end - start > width * 2:
        return escape(text[start : start + width * 2].replace("\n", " ")) + ELLIPSIS
    return escape(text[start:end].replace("\n", " "))
