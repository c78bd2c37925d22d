"""The home page's overview: the newest articles, every category and the commonest tags, counted over the index."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from whoosh.searching import Searcher

from search_app.engine.arrays import per_searcher
from search_app.engine.candidates import Matched
from search_app.engine.compiler import CompiledQuery
from search_app.engine.facets import Facet, count_facets, facet_table
from search_app.engine.narrowing import Filters
from search_app.engine.pipeline import rank

# Articles in the home page's 新着記事 list.
LATEST_COUNT = 10


@dataclass(frozen=True)
class ArticleLink:
    """A link to an article, with what tells it apart in a list."""

    path: str
    title: str
    date: dt.date | None
    category: str


@dataclass(frozen=True)
class Overview:
    """What an archive shows a reader who has not asked anything yet."""

    documents: int
    latest: tuple[ArticleLink, ...]
    # Every category and the commonest tags (facets.MAX_TAG_VALUES), most articles first.
    categories: tuple[Facet, ...]
    tags: tuple[Facet, ...]


def overview(searcher: Searcher) -> Overview:
    """The overview of the searcher's index, built once while the searcher lives (a reindex opens a new one)."""
    return per_searcher(searcher, "overview", build_overview)


def build_overview(searcher: Searcher) -> Overview:
    """The listing of every article (as a filtered listing is made), newest first, with its facet counts."""
    every = Matched(searcher.doc_count_all())
    listing = rank(searcher, CompiledQuery(None), LATEST_COUNT, sort="newest", seen=every)
    counts = count_facets(facet_table(searcher), every.mask, Filters())
    latest = tuple(_link(searcher.stored_fields(docnum)) for docnum, _ in listing.ranked)
    return Overview(listing.total, latest, counts.category, counts.tag)


def _link(fields: dict) -> ArticleLink:
    value = fields.get("date")
    date = value.date() if isinstance(value, dt.datetime) else value if isinstance(value, dt.date) else None
    return ArticleLink(fields["path"], fields.get("title", "") or fields["path"], date, fields.get("category", ""))
