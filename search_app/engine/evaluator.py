"""Whoosh queries evaluated with numpy: every matching document and its score at once.

Whoosh walks a query posting by posting in Python, through a tree of union,
intersection and span matchers; at 2,000 articles that was two thirds of a
reader query's CPU, and it grows with the corpus. Here each term's postings are
read block by block and scored as arrays (bm25.term_scores), the boolean
structure is array logic, and only phrases read positions, of the documents
that have all their words. Filters (category, tag, date range) are read from
the facet table, every article from the live mask. Scores are Whoosh's own (the same BM25, sums and
boosts); tests compare the two on every kind of query the compiler builds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from search_app.engine.arrays import live_mask
from search_app.engine.bm25 import bm25, term_scores
from search_app.engine.facets import FacetTable, facet_table
from search_app.engine.postings import phrase_matches

# What Whoosh's inverse matcher scores a document that lacks the negated query, and what
# it scores a filter's match (an unscored field, a date range, every article), times the boost.
_NOT_SCORE = 1.0
_FILTER_SCORE = 1.0
# Unscored fields a query may name: their matches come from the facet table.
_FILTER_FIELDS = ("category", "tag", "date")


@dataclass(frozen=True)
class Evaluated:
    """The documents a query matches (by docnum) and their scores (0 elsewhere)."""

    mask: np.ndarray
    scores: np.ndarray


class Evaluator:
    """Evaluates queries over one searcher, remembering each term and subquery for the request."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.size = searcher.doc_count_all()
        # The searcher's BM25 parameters (searcher.WEIGHTING): the one BM25 is bm25.bm25.
        self._k1 = float(searcher.weighting.K1)
        self._b = float(searcher.weighting.B)
        self._memo: dict[wq.Query, Evaluated] = {}
        # Results with exact scores only near the top (evaluate_top).
        self._top: dict[wq.Query, Evaluated] = {}
        self._narrowed: dict[tuple[wq.Query, int], tuple[np.ndarray, Evaluated]] = {}
        self._terms: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def evaluate(self, query: wq.Query, within: np.ndarray | None = None) -> Evaluated:
        """The query's matches and scores; with `within`, only among those documents (nothing outside).

        Narrowing lets a phrase read positions only where they can still matter.
        """
        if within is not None:
            whole = self._memo.get(query)
            # The same narrowing comes back for a word and its n-gram fallback (AndNot).
            key = (query, id(within))
            narrowed = self._narrowed.get(key)
            if whole is not None:
                found = whole
            elif narrowed is not None and narrowed[0] is within:
                return narrowed[1]
            else:
                found = self._evaluate(query, within)
            result = Evaluated(found.mask & within, np.where(within, found.scores, 0.0))
            # The array is kept with the result, so its id is not reused while the entry lives.
            self._narrowed[key] = (within, result)
            return result
        found = self._memo.get(query)
        if found is None:
            found = self._evaluate(query, None)
            self._memo[query] = found
        return found

    def docs(self, query: wq.Query) -> np.ndarray:
        """The query's matches as a boolean array."""
        top = self._top.get(query)
        return top.mask if top is not None else self.evaluate(query).mask

    def evaluate_top(self, query: wq.Query, depth: int) -> Evaluated:
        """Every match of the query, with exact scores for at least its best `depth`.

        A bonus (the nearness phrase of ANDMAYBE) is looked for only in the
        documents it could lift into the best `depth`: those whose score plus the
        most the bonus could add reaches the depth-th best score without it.
        Below that, a document's score lacks its bonus.
        """
        found = self._memo.get(query) or self._top.get(query)
        if found is not None:
            return found
        if not isinstance(query, wq.AndMaybe) or (bound := self._bound(query.b)) is None:
            return self.evaluate(query)
        a = self.evaluate(query.a)
        count = int(np.count_nonzero(a.mask))
        if count <= depth:
            return self.evaluate(query)
        cut = np.partition(a.scores[a.mask], count - depth)[count - depth]
        b = self.evaluate(query.b, a.mask & (a.scores + bound >= cut * (1 - 1e-9)))
        found = Evaluated(a.mask, np.where(b.mask, a.scores + b.scores, a.scores))
        self._top[query] = found
        return found

    def _bound(self, q: wq.Query) -> np.ndarray | None:
        """The most the query can score in each document (None when that is not known)."""
        if isinstance(q, wq.Term) and self._scorable(q.fieldname):
            return self._from_postings(*self.term(q.fieldname, q.text)).scores * q.boost
        if isinstance(q, wq.Phrase) and len(q.words) > 1 and self._scorable(q.fieldname):
            # A phrase scores its words' scores, in the documents where they stand in order.
            parts = [self._bound(wq.Term(q.fieldname, w)) for w in q.words]
            return np.add.reduce(parts) * q.boost  # type: ignore[arg-type]
        if _sums(q):
            parts = [self._bound(sub) for sub in q.subqueries]
            if not parts or any(p is None for p in parts):
                return None
            total = np.add.reduce(parts)  # type: ignore[arg-type]
            return total * q.boost if len(parts) > 1 else total
        return None

    def _evaluate(self, q: wq.Query, within: np.ndarray | None) -> Evaluated:
        if isinstance(q, type(wq.NullQuery)):
            return self._empty()
        if isinstance(q, wq.Term) and self._scorable(q.fieldname):
            ids, scores = self.term(q.fieldname, q.text)
            return self._from_postings(ids, scores * q.boost)
        if isinstance(q, wq.Phrase) and len(q.words) > 1 and self._scorable(q.fieldname):
            return self._phrase(q, within)
        if isinstance(q, (wq.AndMaybe, wq.AndNot, wq.Not)):
            return self._binary(q, within)
        if _sums(q):
            return self._compound(q, within)
        return self._filter(q)

    def _binary(self, q: wq.AndMaybe | wq.AndNot | wq.Not, within: np.ndarray | None) -> Evaluated:
        if isinstance(q, wq.Not):
            keep = live_mask(self.searcher) & ~self.evaluate(q.query, within).mask
            return Evaluated(keep, np.where(keep, _NOT_SCORE, 0.0))
        if isinstance(q, wq.AndMaybe):
            a = self.evaluate(q.a, within)
            b = self.evaluate(q.b, a.mask)
            return Evaluated(a.mask, np.where(b.mask, a.scores + b.scores, a.scores))
        # What b excludes is not looked at in a: an n-gram alternative checks
        # positions only where the word itself is missing.
        b = self.evaluate(q.b, within)
        a = self.evaluate(q.a, ~b.mask if within is None else within & ~b.mask)
        return Evaluated(a.mask, a.scores)

    def _compound(self, q: wq.CompoundQuery, within: np.ndarray | None) -> Evaluated:
        if not q.subqueries:
            return self._empty()
        if len(q.subqueries) == 1:
            # Whoosh hands a lone subquery's matcher up as it is: the compound's boost is lost.
            return self.evaluate(q.subqueries[0], within)
        subs = []
        narrowing = isinstance(q, wq.And)
        for sub in q.subqueries:
            found = self.evaluate(sub, within)
            subs.append(found)
            if narrowing:
                # Each part of an AND is looked at only where the parts before it matched.
                within = found.mask
        # In place, part after part: the same sums in the same order as a reduce over the stacked
        # parts, without stacking them (each part is an array over every document).
        mask = subs[0].mask.copy()
        scores = subs[0].scores.copy()
        for sub in subs[1:]:
            if narrowing:
                mask &= sub.mask
            else:
                mask |= sub.mask
            # Unmatched documents score 0 in every part, so the sum is the matching parts' sum.
            scores += sub.scores
        if q.boost != 1.0:
            scores *= q.boost
        scores[~mask] = 0.0
        return Evaluated(mask, scores)

    def _phrase(self, q: wq.Phrase, within: np.ndarray | None) -> Evaluated:
        allowed = live_mask(self.searcher) if within is None else within & live_mask(self.searcher)
        words = list(q.words)
        docs, weights = phrase_matches(self.searcher, q.fieldname, words, allowed, slop=q.slop)
        # Whoosh scores a phrase as its words' scores summed (a repeated word counts again).
        total = np.zeros(len(docs), dtype=np.float64)
        for word, tf in zip(words, weights, strict=True):
            total += bm25(self.searcher, q.fieldname, word, docs, tf, k1=self._k1, b=self._b)
        return self._from_postings(docs, total * q.boost)

    def term(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The live documents with the term in the field and its BM25 in each (read once per evaluator)."""
        key = (fieldname, text)
        found = self._terms.get(key)
        if found is None:
            found = term_scores(self.searcher, fieldname, text, k1=self._k1, b=self._b)
            self._terms[key] = found
        return found

    def _scorable(self, fieldname: str) -> bool:
        schema = self.searcher.schema
        if fieldname not in schema:
            return False
        field = schema[fieldname]
        return bool(field.scorable and field.format and field.format.supports("positions"))

    def _from_postings(self, ids: np.ndarray, scores: np.ndarray) -> Evaluated:
        mask = np.zeros(self.size, dtype=bool)
        mask[ids] = True
        values = np.zeros(self.size, dtype=np.float64)
        values[ids] = scores
        return Evaluated(mask, values)

    def _empty(self) -> Evaluated:
        return Evaluated(np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.float64))

    def _filter(self, q: wq.Query) -> Evaluated:
        """Every article, a category, a tag or a date range: a mask from the facet table, scoring the boost."""
        live = live_mask(self.searcher)
        if isinstance(q, wq.Every) and q.fieldname in (None, "", "*"):
            return self._constant(live, q.boost)
        table = facet_table(self.searcher)
        if isinstance(q, wq.Term) and q.fieldname in _FILTER_FIELDS:
            return self._constant(live & _term_mask(table, q.fieldname, q.text), q.boost)
        if isinstance(q, wq.NumericRange) and q.fieldname == "date":
            return self._constant(live & _range_mask(table, q), q.boost)
        if isinstance(q, wq.Term) and q.fieldname not in self.searcher.schema:
            return self._empty()
        msg = f"the evaluator does not evaluate {type(q).__name__} queries ({q})"
        raise TypeError(msg)

    def _constant(self, mask: np.ndarray, boost: float) -> Evaluated:
        return Evaluated(mask, np.where(mask, _FILTER_SCORE * boost, 0.0))


def _term_mask(table: FacetTable, fieldname: str, text: object) -> np.ndarray:
    """The documents with the category or tag (none for a date term)."""
    mask = np.zeros(len(table.category), dtype=bool)
    if fieldname == "category" and text in table.categories:
        mask = table.category == table.categories.index(str(text))
    elif fieldname == "tag" and text in table.tag_names:
        mask[table.tag_docs[table.tag_ids == table.tag_names.index(str(text))]] = True
    return mask


def _range_mask(table: FacetTable, q: wq.NumericRange) -> np.ndarray:
    """The dated documents inside the range (its bounds are the raw date column's values)."""
    mask = table.has_date.copy()
    if q.start is not None:
        mask &= table.dates > q.start if q.startexcl else table.dates >= q.start
    if q.end is not None:
        mask &= table.dates < q.end if q.endexcl else table.dates <= q.end
    return mask


def _sums(q: wq.Query) -> bool:
    """An AND or OR whose score is its matching parts' sum (no coordination scale, no min-match)."""
    return type(q) in (wq.And, wq.Or) or (isinstance(q, wq.Or) and not q.scale and not q.minmatch)
