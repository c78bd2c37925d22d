"""Where a query matches in each hit: character spans of its words, n-gram runs and readings, to mark."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from whoosh.searching import Searcher

from search_app.engine.compiler import Highlights
from search_app.engine.postings import characters, gram_spans
from search_app.engine.snippets import Match

# Which stored field the spans of each searchable field belong to.
_SPAN_TARGET = {"title_ng": "title", "title_rd": "title", "body_ng": "body", "body_rd": "body"}


def match_spans(
    searcher: Searcher, docnums: Iterable[int], highlights: Highlights
) -> dict[int, dict[str, list[Match]]]:
    """Character spans of the query's matches in each hit, from offsets stored at index time."""
    out: dict[int, dict[str, list[Match]]] = defaultdict(lambda: defaultdict(list))
    wanted = sorted(docnums)
    if not wanted:
        return out
    for fieldname, terms in highlights.terms.items():
        for term in terms:
            for docnum, spans in characters(searcher, fieldname, term, wanted).items():
                out[docnum][fieldname].extend(Match(s, e, term) for _p, s, e in spans)
    # Reading matches cover whole words (their reading maps to the word), so they
    # only mark what the finer word and n-gram matches left unmarked.
    ordered = sorted(highlights.sequences.items(), key=lambda item: item[0].endswith("_rd"))
    for fieldname, sequences in ordered:
        target = _SPAN_TARGET[fieldname]
        coarse = fieldname.endswith("_rd")
        for seq in set(sequences):
            label = seq[0] + "".join(g[1:] for g in seq[1:])
            if coarse:
                found = _reading_spans(searcher, fieldname, seq, label, wanted)
            else:
                found = {
                    d: [Match(s, e, label) for s, e in spans]
                    for d, spans in gram_spans(searcher, fieldname, label, wanted).items()
                }
            for docnum, matches in found.items():
                marked = out[docnum][target]
                if coarse:
                    matches = [m for m in matches if not any(m.start < x.end and x.start < m.end for x in marked)]  # noqa: PLW2901
                marked.extend(matches)
    return out


def _reading_spans(
    searcher: Searcher, fieldname: str, seq: tuple[str, ...], label: str, docnums: list[int]
) -> dict[int, list[Match]]:
    """Spans where the reading grams of `seq` stand at consecutive positions."""
    per_gram: list[dict[int, list[tuple[int, int, int]]]] = []
    for gram in seq:
        # Each gram is read only in the documents that had every gram before it.
        per_gram.append(characters(searcher, fieldname, gram, docnums))
        docnums = sorted(per_gram[-1])
    result: dict[int, list[Match]] = {}
    for docnum in per_gram[0] if per_gram else {}:
        by_pos = [{p: (s, e) for p, s, e in grams.get(docnum, ())} for grams in per_gram]
        matches = []
        for pos, (start, end) in by_pos[0].items():
            last_end = end
            for offset, positions in enumerate(by_pos[1:], 1):
                hit = positions.get(pos + offset)
                if hit is None:
                    break
                last_end = hit[1]
            else:
                matches.append(Match(start, last_end, label))
        if matches:
            result[docnum] = matches
    return result
