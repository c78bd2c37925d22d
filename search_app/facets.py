"""Facet counts (category, tag, year) over a query's matches, from a per-index table of those fields."""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from whoosh.searching import Searcher
from whoosh.util.times import long_to_datetime

from search_app.filters import MISSING_DATE, Filters, tag_term

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
    """Category, tags, raw date and year of every document, by docnum (built once per index generation)."""

    category: tuple[str, ...]
    tags: tuple[tuple[str, ...], ...]
    dates: tuple[int | None, ...]
    years: tuple[int | None, ...]

    @classmethod
    def build(cls, searcher: Searcher) -> FacetTable:
        """Read the columns and the tag postings; a field no document has yet is simply empty."""
        reader = searcher.reader()
        size = reader.doc_count_all()
        category: list[str] = [""] * size
        if reader.has_column("category"):
            category = list(reader.column_reader("category"))
        dates: list[int | None] = [None] * size
        years: list[int | None] = [None] * size
        if reader.has_column("date"):
            for docnum, raw in enumerate(reader.column_reader("date", translate=False)):
                if isinstance(raw, int) and raw < MISSING_DATE:
                    dates[docnum], years[docnum] = raw, long_to_datetime(raw).year
        # The tag field keeps no vectors or per-document column of terms: invert its postings.
        tags: list[list[str]] = [[] for _ in range(size)]
        if "tag" in reader.indexed_field_names():
            for term in reader.field_terms("tag"):
                for docnum in reader.postings("tag", term).all_ids():
                    tags[docnum].append(term)
        return cls(tuple(category), tuple(tuple(t) for t in tags), tuple(dates), tuple(years))


_tables: weakref.WeakKeyDictionary[Searcher, FacetTable] = weakref.WeakKeyDictionary()
_tables_lock = threading.Lock()


def facet_table(searcher: Searcher) -> FacetTable:
    """The table of the searcher's index, cached while the searcher lives (a new generation gets a new one)."""
    with _tables_lock:
        table = _tables.get(searcher)
        if table is None:
            table = _tables[searcher] = FacetTable.build(searcher)
        return table


def count_facets(table: FacetTable, matched: Iterable[int], filters: Filters) -> Facets:
    """Counts over the matches with every *other* filter applied (so a count is the total that value gives)."""
    category_counts: Counter[str] = Counter()
    tag_counts: Counter[str] = Counter()
    year_counts: Counter[int] = Counter()
    wanted_tags = {tag_term(t) for t in filters.tags}
    bounds = filters.raw_date_bounds()
    # The year facet keeps the date range but not the year; the others keep both.
    range_only = Filters(date_from=filters.date_from, date_to=filters.date_to).raw_date_bounds()
    for docnum in matched:
        category, tags, date = table.category[docnum], table.tags[docnum], table.dates[docnum]
        if wanted_tags and not wanted_tags.issubset(tags):
            continue
        category_ok = not filters.category or category == filters.category
        in_range = bounds is None or (date is not None and bounds[0] <= date <= bounds[1])
        if in_range and category:
            category_counts[category] += 1
        if not category_ok:
            continue
        if in_range:
            tag_counts.update(tags)
        year = table.years[docnum]
        if year is not None and (range_only is None or range_only[0] <= date <= range_only[1]):  # type: ignore[operator]
            year_counts[year] += 1
    return Facets(
        category=_facets(category_counts.items(), {filters.category} if filters.category else set()),
        tag=_facets(tag_counts.items(), wanted_tags)[:MAX_TAG_VALUES],
        year=tuple(
            Facet(str(y), n, y == filters.year) for y, n in sorted(year_counts.items(), key=lambda item: -item[0])
        ),
    )


def _facets(counts: Iterable[tuple[str, int]], active: set[str]) -> tuple[Facet, ...]:
    ordered = sorted(counts, key=lambda item: (-item[1], item[0]))
    return tuple(Facet(value, n, value in active) for value, n in ordered)
