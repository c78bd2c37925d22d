"""Running compiled queries: exact totals, recency as tie-breaker, relaxation, match offsets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from search_app.engine.bm25 import per_searcher
from search_app.engine.compiler import CompiledQuery, Highlights, Union
from search_app.engine.evaluator import Evaluator
from search_app.engine.narrowing import MISSING_DATE
from search_app.engine.postings import characters, gram_spans
from search_app.engine.snippets import Match

# How much more a relaxed match counts when it has every kept unit.
KEPT_BOOST = 1.0
# Relaxation tries every unit; beyond this many it only drops units that match nothing.
MAX_GREEDY_UNITS = 16
# Which stored field the spans of each searchable field belong to.
_SPAN_TARGET = {"title_ng": "title", "title_rd": "title", "body_ng": "body", "body_rd": "body"}


class Matched:
    """Every match before the filters, gathered for the facet counts: a mask by docnum."""

    def __init__(self, size: int) -> None:
        self.mask = np.zeros(size, dtype=bool)

    def add(self, matches: np.ndarray) -> None:
        """Count these matches too."""
        self.mask |= matches

    def clear(self) -> None:
        """Forget what was gathered (the ranking started over with another query)."""
        self.mask[:] = False


def run_query(
    evaluator: Evaluator,
    query: wq.Query,
    limit: int,
    *,
    allow: wq.Query | None = None,
    sort: str = "relevance",
    seen: Matched | None = None,
) -> tuple[int, list[tuple[int, float]]]:
    """Total matches and the top `limit` (docnum, score), newest first among equal scores.

    `allow` is a filter (it never changes scores); `sort` is relevance, newest or
    oldest (undated last); `seen`, when given, receives every match before filtering.
    """
    found = evaluator.evaluate_top(query, limit) if sort == "relevance" else evaluator.evaluate(query)
    matches = found.mask
    if seen is not None:
        seen.add(matches)
    if allow is not None:
        matches = matches & evaluator.docs(allow)
    total = int(np.count_nonzero(matches))
    return total, ordered(evaluator.searcher, found.scores, matches, limit, sort)


def count_matches(evaluator: Evaluator, query: wq.Query) -> int:
    """How many documents the query matches."""
    return int(np.count_nonzero(evaluator.docs(query)))


def ordered(
    searcher: Searcher, scores: np.ndarray, matches: np.ndarray, limit: int, sort: str = "relevance"
) -> list[tuple[int, float]]:
    """The first `limit` matches as (docnum, score): best first, the newer first among equal scores.

    Sorted by date instead (newest or oldest), undated documents come last and
    the better score first among equal dates.
    """
    ids = np.flatnonzero(matches)
    # Scores a rounding error apart are equal (a sum's order of terms must not decide).
    rounded = np.round(scores[ids], 9)
    dated, recency = _dates(searcher)
    if sort == "relevance":
        if len(ids) > limit:
            # Only the best `limit` and whatever ties the last of them go on to the sort.
            cut = -np.partition(-rounded, limit - 1)[limit - 1]
            keep = rounded >= cut
            ids, rounded = ids[keep], rounded[keep]
        order = np.lexsort((-recency[ids], -rounded))
    else:
        sign = -1 if sort == "newest" else 1
        order = np.lexsort((-rounded, sign * recency[ids], ~dated[ids]))
    ids = ids[order][:limit]
    return [(int(d), float(scores[d])) for d in ids]


def by_score(searcher: Searcher, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Best score first; the newer document first among equal scores."""
    _, recency = _dates(searcher)
    return sorted(ranked, key=lambda item: (-round(item[1], 9), -recency[item[0]]))


def _dates(searcher: Searcher) -> tuple[np.ndarray, np.ndarray]:
    """Per docnum: whether it has a date, and its raw date value (0 when undated), read once per searcher."""

    def build(searcher: Searcher) -> tuple[np.ndarray, np.ndarray]:
        size = searcher.doc_count_all()
        raw: list[object] = [None] * size
        reader = searcher.reader()
        if reader.has_column("date"):  # an index with no dated document has no date column
            # Raw column values (ordered like the dates): translating an undated
            # document's default to a datetime overflows inside Whoosh.
            column = reader.column_reader("date", translate=False)
            raw = [column[d] for d in range(size)]
        # An undated document reads back as the column's "missing" value, 2**64 - 1.
        dated = np.fromiter((isinstance(v, int) and v < MISSING_DATE for v in raw), dtype=bool, count=size)
        values = np.fromiter(
            (v if ok else 0 for v, ok in zip(raw, dated.tolist(), strict=True)), dtype=np.int64, count=size
        )
        return dated, values

    return per_searcher(searcher, "dates", build)


def relax(
    evaluator: Evaluator, compiled: CompiledQuery, allowed: set[int] | None = None
) -> tuple[wq.Query | None, tuple[str, ...]]:
    """A looser query when no document has every word, and the words the best results lack.

    Which units (words) go is kept_units' choice. Documents with every kept unit
    score higher; documents with only some of the units still match, so nothing
    that matches is lost, as long as they have a strong one (never 二 of 簿記二級 alone).
    None when no strong unit is left: what remains cannot mean the query.
    With `allowed` (the documents the filters leave), only those count.
    """
    units = compiled.units
    docsets = [set(np.flatnonzero(evaluator.docs(u.query)).tolist()) for u in units]
    if allowed is not None:
        docsets = [docs & allowed for docs in docsets]
    strong = [u.strong for u in units]
    kept = kept_units(docsets, strong)
    if not meaningful(kept, strong):
        return None, tuple(u.label for u in units)
    dropped = tuple(units[i].label for i in range(len(units)) if i not in kept)
    alive = [i for i, docs in enumerate(docsets) if docs]
    query: wq.Query = _any([units[i].query for i in alive if strong[i]])
    if weak := [units[i].query for i in alive if not strong[i]]:
        # Weak units lift a match but never make one.
        query = wq.AndMaybe(query, _any(weak))
    if KEPT_BOOST and len(kept) > 1:
        # Documents with every kept unit get their score again, times KEPT_BOOST.
        query = wq.AndMaybe(query, _boost(_and([units[i].query for i in kept]), KEPT_BOOST))
    if compiled.negatives:
        query = wq.And([query, *(wq.Not(n) for n in compiled.negatives)])
    return query, dropped


def kept_units(docsets: list[set[int]], strong: list[bool] | None = None) -> list[int]:
    """The units (by index) to keep so that some document has them all: the others are dropped.

    Units that match nothing go first; then, while the rest never occur together,
    a weak unit before a strong one (`strong`, by index), and among those the unit
    whose removal leaves the most documents (the commonest on a tie).
    """
    kept = [i for i, docs in enumerate(docsets) if docs]
    weak = [not s for s in strong] if strong is not None else [False] * len(docsets)
    if len(kept) <= MAX_GREEDY_UNITS:
        while len(kept) > 1 and not _common(docsets, kept):
            victim = max(
                kept, key=lambda i: (weak[i], len(_common(docsets, [k for k in kept if k != i])), len(docsets[i]))
            )
            kept.remove(victim)
    return kept


def meaningful(kept: list[int], strong: list[bool]) -> bool:
    """Whether the kept units can mean the query: one of them is strong (a lone 二 or 級 is not)."""
    return any(strong[i] for i in kept)


def _common(docsets: list[set[int]], indexes: list[int]) -> set[int]:
    if not indexes:
        return set()
    common = set(docsets[indexes[0]])
    for i in indexes[1:]:
        common &= docsets[i]
        if not common:
            break
    return common


def _any(queries: list[wq.Query]) -> wq.Query:
    return queries[0] if len(queries) == 1 else Union(queries)


def _and(queries: list[wq.Query]) -> wq.Query:
    return queries[0] if len(queries) == 1 else wq.And(queries)


def _boost(query: wq.Query, boost: float) -> wq.Query:
    query = query.copy()
    query.boost = boost
    return query


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
