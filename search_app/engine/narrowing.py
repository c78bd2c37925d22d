"""Narrowing a search: category, tags, year and date range as a Whoosh filter query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.util.times import datetime_to_long

# The orders a reader may ask for; relevance keeps the recency tie-break.
SORTS = ("relevance", "newest", "oldest")
# Filter names as they appear in URLs, chips and the API's "filters" object.
FILTER_NAMES = ("category", "tag", "year", "date_from", "date_to")
# The raw date column's value for an undated document (the column default, 2**64 - 1)
# and anything above: no real datetime reaches it.
MISSING_DATE = 2**63


@dataclass(frozen=True)
class Filters:
    """What the reader narrowed the results to; every filter that is set must hold."""

    category: str | None = None
    tags: tuple[str, ...] = ()
    year: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.category or self.tags or self.year or self.date_from or self.date_to)

    def as_json(self) -> dict[str, object]:
        """The filters as the API reports them."""
        return {
            "category": self.category,
            "tag": list(self.tags),
            "year": self.year,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }

    def date_bounds(self) -> tuple[dt.datetime, dt.datetime] | None:
        """Inclusive date bounds (year and range intersected), or None without a date filter."""
        if self.year is None and self.date_from is None and self.date_to is None:
            return None
        low, high = dt.datetime.min, dt.datetime.max
        if self.year is not None:
            low, high = dt.datetime(self.year, 1, 1), _day_end(dt.date(self.year, 12, 31))
        if self.date_from is not None:
            low = max(low, dt.datetime.combine(self.date_from, dt.time()))
        if self.date_to is not None:
            high = min(high, _day_end(self.date_to))
        return low, high

    def raw_date_bounds(self) -> tuple[int, int] | None:
        """The date bounds as values of the raw date column (what the facet counts compare)."""
        bounds = self.date_bounds()
        return None if bounds is None else (datetime_to_long(bounds[0]), datetime_to_long(bounds[1]))

    def query(self) -> wq.Query | None:
        """The filters as a Whoosh query for `filter=` (they never touch the scores), or None."""
        parts: list[wq.Query] = []
        if self.category:
            parts.append(wq.Term("category", self.category))
        parts.extend(wq.Term("tag", tag_term(t)) for t in self.tags)
        bounds = self.date_bounds()
        if bounds is not None:
            low, high = bounds
            if low > high:
                # Year and range do not overlap: nothing can match.
                return wq.NullQuery
            # Undated documents have no date term, so any date filter leaves them out.
            parts.append(wq.DateRange("date", low, high))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)


def tag_term(tag: str) -> str:
    """The indexed term of a tag (the indexer joins tags with commas, so a comma inside one became a space)."""
    return tag.replace(",", " ").strip()


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max)


def effective_sort(sort: str | None, has_query: bool) -> str:
    """The order used: as asked, else relevance for a query and newest for a filtered listing."""
    if sort:
        return sort
    return "relevance" if has_query else "newest"
