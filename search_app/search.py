"""The search service: queries in, plain dataclasses out (views never see Whoosh)."""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field, replace

from markupsafe import Markup, escape

from indexer.schema import TAG_SEPARATOR
from indexer.vocabulary import SynonymTable
from search_app.facets import Facets, count_facets, facet_table
from search_app.filters import SORTS, Filters, effective_sort
from search_app.fusion import rank
from search_app.index import IndexHandle
from search_app.query import parse_query
from search_app.ranking import Compiler
from search_app.retrieval import match_spans
from search_app.snippets import Match, highlight, make_snippet

MAX_PER_PAGE = 100
MAX_PAGE = 1000


@dataclass(frozen=True)
class Hit:
    """One result, ready to render."""

    path: str
    title: str
    title_html: Markup
    url: str
    date: dt.date | None
    category: str
    tags: tuple[str, ...]
    score: float
    snippet: Markup
    # True for a match that lacks some of the words (after a short list of full matches).
    partial: bool = False


@dataclass(frozen=True)
class SearchPage:
    """One page of results for a query."""

    query: str
    terms: tuple[str, ...]
    total: int
    page: int
    per_page: int
    hits: tuple[Hit, ...] = ()
    # Set when nothing had every word: the words the results may lack.
    relaxed: bool = False
    dropped: tuple[str, ...] = ()
    # The order used, the filters applied and (when asked for) the facet counts.
    sort: str = "relevance"
    filters: Filters = field(default_factory=Filters)
    facets: Facets | None = None

    @property
    def pages(self) -> int:
        """How many pages the results fill."""
        return max(1, math.ceil(self.total / self.per_page))


@dataclass(frozen=True)
class ArticleView:
    """An indexed article, for the article page."""

    path: str
    title: str
    url: str
    date: dt.date | None
    category: str
    tags: tuple[str, ...]
    description: str
    paragraphs: tuple[str, ...] = field(default=())


class SearchService:
    """Runs readers' queries against the index behind an IndexHandle."""

    def __init__(self, handle: IndexHandle, synonyms: SynonymTable | None = None) -> None:
        self.handle = handle
        self.synonyms = synonyms or SynonymTable()

    def document_count(self) -> int:
        """Documents in the live index."""
        with self.handle.searcher() as s:
            return s.doc_count()

    def search(
        self,
        query: str,
        page: int = 1,
        per_page: int = 10,
        filters: Filters | None = None,
        sort: str | None = None,
        facets: bool = False,
    ) -> SearchPage:
        """Run a query; raise QuerySyntaxError or ValueError for input the reader must fix.

        With filters and no query words, the filtered articles are listed (newest first unless `sort`).
        """
        if not 1 <= per_page <= MAX_PER_PAGE:
            msg = f"per_page は 1〜{MAX_PER_PAGE} で指定してください"
            raise ValueError(msg)
        if not 1 <= page <= MAX_PAGE:
            msg = f"page は 1〜{MAX_PAGE} で指定してください"
            raise ValueError(msg)
        if sort is not None and sort not in SORTS:
            msg = f"sort は {' / '.join(SORTS)} のいずれかで指定してください"
            raise ValueError(msg)
        filters = filters or Filters()
        node = parse_query(query)
        with self.handle.searcher() as searcher:
            synonyms = self.synonyms.current(time.monotonic())
            compiled = Compiler(searcher.schema["body"].analyzer, synonyms).compile(node)
            order = effective_sort(sort, compiled.query is not None)
            base = SearchPage(
                query,
                tuple(compiled.terms),
                0,
                page,
                per_page,
                sort=order,
                filters=filters,
                facets=Facets() if facets else None,
            )
            if compiled.query is None and not filters.active:
                return base
            allow = filters.query()
            seen: set[int] | None = set() if facets else None
            limit = page * per_page
            found = rank(searcher, compiled, limit, allow=allow, sort=order, seen=seen)
            total, ranked, relaxed, dropped = found.total, found.ranked, found.relaxed, found.dropped
            top = ranked[(page - 1) * per_page : limit]
            spans = match_spans(searcher, [d for d, _ in top], compiled.highlights)
            first = (page - 1) * per_page
            partial_from = found.partial_from if found.partial_from is not None else total
            hits = tuple(
                _to_hit(searcher.stored_fields(d), score, spans.get(d, {}), partial=first + i >= partial_from)
                for i, (d, score) in enumerate(top)
            )
            counted = count_facets(facet_table(searcher), seen, filters) if seen is not None else None
        return replace(base, total=total, hits=hits, relaxed=relaxed, dropped=dropped, facets=counted)

    def article(self, path: str) -> ArticleView | None:
        """The article stored under `path`, or None if the index has no such document."""
        with self.handle.searcher() as s:
            fields = s.document(path=path)
        if fields is None:
            return None
        body = fields.get("body", "")
        return ArticleView(
            path=fields["path"],
            title=fields.get("title", ""),
            url=fields.get("url", ""),
            date=_date(fields.get("date")),
            category=fields.get("category", ""),
            tags=_tags(fields.get("tags", "")),
            description=fields.get("description", ""),
            paragraphs=tuple(p for p in body.split("\n") if p),
        )


def _to_hit(fields: dict, score: float, spans: dict[str, list[Match]], *, partial: bool = False) -> Hit:
    title = fields.get("title", "")
    body = fields.get("body", "")
    return Hit(
        path=fields["path"],
        title=title,
        title_html=highlight(title, spans.get("title", ())) if title else escape(fields["path"]),
        url=fields.get("url", ""),
        date=_date(fields.get("date")),
        category=fields.get("category", ""),
        tags=_tags(fields.get("tags", "")),
        score=round(float(score), 4),
        snippet=make_snippet(body, spans.get("body", ())),
        partial=partial,
    )


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _tags(value: str) -> tuple[str, ...]:
    return tuple(t for t in value.split(TAG_SEPARATOR) if t)
