"""Facet counts (category, tag, year) over a query's matches, from a per-index table of those fields."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from whoosh.searching import Searcher
from whoosh.util.times import long_to_datetime

from search_app.engine.arrays import per_searcher
from search_app.engine.narrowing import MISSING_DATE, Filters, tag_term

# The tag facet lists the commonest tags only.
MAX_TAG_VALUES = 20


@dataclass(frozen=True)
class Facet:
    """One value of a facet with the number of results it would leave."""

    value: str
    count: int
    active: bool = False


@dataclass(frozen=True)
class Facets:
    """The facets of a result set."""

    category: tuple[Facet, ...] = ()
    tag: tuple[Facet, ...] = ()
    year: tuple[Facet, ...] = ()

    def as_json(self) -> dict[str, list[dict[str, object]]]:
        """The facets as the API reports them."""
        return {
            name: [{"value": f.value, "count": f.count} for f in getattr(self, name)]
            for name in ("category", "tag", "year")
        }


@dataclass(frozen=True)
class FacetTable:
    """Category, tags, raw date and year of every document, as arrays by docnum (built once per index generation)."""

    categories: tuple[str, ...]
    # Each document's category as an index into `categories`, -1 for none.
    category: np.ndarray
    tag_names: tuple[str, ...]
    # Every (document, tag) pair: the document and the tag's index into `tag_names`.
    tag_docs: np.ndarray
    tag_ids: np.ndarray
    has_date: np.ndarray
    dates: np.ndarray
    # The year of each dated document, -1 for none.
    years: np.ndarray

    @classmethod
    def build(cls, searcher: Searcher) -> FacetTable:
        """Read the category, date and tag columns; a field no document has yet is simply empty."""
        reader = searcher.reader()
        size = reader.doc_count_all()
        names: list[str] = [""] * size
        if reader.has_column("category"):
            names = list(reader.column_reader("category"))
        categories = tuple(sorted({n for n in names if n}))
        code = {name: i for i, name in enumerate(categories)}
        category = np.asarray([code.get(n, -1) for n in names], dtype=np.int64)
        dates = np.zeros(size, dtype=np.int64)
        has_date = np.zeros(size, dtype=bool)
        years = np.full(size, -1, dtype=np.int64)
        if reader.has_column("date"):
            for docnum, raw in enumerate(reader.column_reader("date", translate=False)):
                if isinstance(raw, int) and raw < MISSING_DATE:
                    dates[docnum], has_date[docnum], years[docnum] = raw, True, long_to_datetime(raw).year
        # Each live document's tags from the tag column (the field's value, joined by commas),
        # as (tag, document) pairs ordered by tag, then document: no postings are read.
        pairs: set[tuple[str, int]] = set()
        if reader.has_column("tag"):
            live = set(reader.all_doc_ids())
            for docnum, value in enumerate(reader.column_reader("tag")):
                if docnum in live and value:
                    pairs.update((term, docnum) for part in value.split(",") if (term := part.strip()))
        ordered = sorted(pairs)
        tag_names = sorted({term for term, _ in ordered})
        code = {name: i for i, name in enumerate(tag_names)}
        tag_ids = np.asarray([code[term] for term, _ in ordered], dtype=np.int64)
        tag_docs = np.asarray([docnum for _, docnum in ordered], dtype=np.int64)
        return cls(categories, category, tuple(tag_names), tag_docs, tag_ids, has_date, dates, years)


def facet_table(searcher: Searcher) -> FacetTable:
    """The table of the searcher's index, cached while the searcher lives (a new generation gets a new one)."""
    return per_searcher(searcher, "facets", FacetTable.build)


def count_facets(table: FacetTable, matched: np.ndarray, filters: Filters) -> Facets:
    """Counts over the matches (a mask by docnum) with every *other* filter applied.

    So a value's count is the total that choosing it gives.
    """
    selected = matched[: len(table.category)].copy()
    wanted_tags = {tag_term(t) for t in filters.tags}
    if wanted_tags:
        codes = [i for i, name in enumerate(table.tag_names) if name in wanted_tags]
        having = np.bincount(table.tag_docs[np.isin(table.tag_ids, codes)], minlength=len(selected))
        selected &= having[: len(selected)] == len(wanted_tags)
    in_range = _within(table, filters.raw_date_bounds())
    # The year facet keeps the date range but not the year; the others keep both.
    in_years_range = _within(table, Filters(date_from=filters.date_from, date_to=filters.date_to).raw_date_bounds())
    categorized = selected & in_range & (table.category >= 0)
    category_counts = np.bincount(table.category[categorized], minlength=len(table.categories))
    if filters.category:
        selected &= table.category == (
            table.categories.index(filters.category) if filters.category in table.categories else -2
        )
    tagged = (selected & in_range)[table.tag_docs]
    tag_counts = np.bincount(table.tag_ids[tagged], minlength=len(table.tag_names))
    years, year_counts = np.unique(table.years[selected & in_years_range & (table.years >= 0)], return_counts=True)
    return Facets(
        category=_facets(
            _nonzero(table.categories, category_counts), {filters.category} if filters.category else set()
        ),
        tag=_facets(_nonzero(table.tag_names, tag_counts), wanted_tags)[:MAX_TAG_VALUES],
        year=tuple(
            Facet(str(y), int(n), int(y) == filters.year)
            for y, n in sorted(zip(years.tolist(), year_counts.tolist(), strict=True), key=lambda item: -item[0])
        ),
    )


def _within(table: FacetTable, bounds: tuple[int, int] | None) -> np.ndarray:
    """The documents inside raw date bounds (all of them without bounds; undated ones never with)."""
    if bounds is None:
        return np.ones(len(table.dates), dtype=bool)
    return table.has_date & (table.dates >= bounds[0]) & (table.dates <= bounds[1])


def _nonzero(names: tuple[str, ...], counts: np.ndarray) -> list[tuple[str, int]]:
    return [(names[i], int(counts[i])) for i in np.flatnonzero(counts).tolist()]


def _facets(counts: Iterable[tuple[str, int]], active: set[str]) -> tuple[Facet, ...]:
    ordered = sorted(counts, key=lambda item: (-item[1], item[0]))
    return tuple(Facet(value, n, value in active) for value, n in ordered)
