"""The search service: queries in, plain dataclasses out (views never see Whoosh)."""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from markupsafe import Markup, escape
from whoosh.searching import Searcher

from indexer.dictionaries import SynonymTable
from indexer.schema import TAG_SEPARATOR
from search_app.engine.analysed import AnalysedQuery, Analyser
from search_app.engine.candidates import Matched, count_matches
from search_app.engine.compiler import CompiledQuery, Compiler, compile_query
from search_app.engine.completions import MAX_PREFIX_CHARS, VOCABULARY_WAIT, Suggestion, Vocabulary, VocabularyCache
from search_app.engine.didyoumean import plain_words, suggest_query, wants_suggestion
from search_app.engine.evaluator import Evaluator
from search_app.engine.facets import Facets, count_facets, facet_table
from search_app.engine.highlights import match_spans
from search_app.engine.narrowing import SORTS, Filters, effective_sort
from search_app.engine.overview import Overview, overview
from search_app.engine.pipeline import rank
from search_app.engine.postings import stored_fields
from search_app.engine.related import RelatedArticle, paragraphs, related_articles
from search_app.engine.searcher import IndexHandle
from search_app.engine.snippets import Match, highlight, make_snippet
from search_app.engine.syntax import Node, QuerySyntaxError, Words, parse_query

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
    # True for a match that lacks some of the words while other articles have them all.
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
    # もしかして: a query that finds more, when this one found few.
    suggestion: str | None = None

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
    # Escaped lines of the text, the reader's query marked in them.
    paragraphs: tuple[Markup, ...] = field(default=())
    related: tuple[RelatedArticle, ...] = field(default=())


class SearchService:
    """Runs readers' queries against the index behind an IndexHandle."""

    def __init__(
        self, handle: IndexHandle, synonyms: SynonymTable | None = None, vocabulary_wait: float = VOCABULARY_WAIT
    ) -> None:
        self.handle = handle
        self.synonyms = synonyms or SynonymTable()
        self.vocabulary = VocabularyCache()
        # How long もしかして waits for a new generation's vocabulary (it is built in the background).
        self.vocabulary_wait = vocabulary_wait

    @classmethod
    def open(
        cls, index_dir: str | Path, *, reload_interval: float, vocabulary_wait: float = VOCABULARY_WAIT
    ) -> SearchService:
        """A service over the index in `index_dir`, reopened when the indexer publishes a new generation."""
        return cls(IndexHandle(index_dir, reload_interval=reload_interval), vocabulary_wait=vocabulary_wait)

    def document_count(self) -> int:
        """Documents in the live index."""
        with self.handle.searcher() as s:
            return s.doc_count()

    def overview(self) -> Overview:
        """The newest articles, every category and the commonest tags with counts (built once per index generation)."""
        with self.handle.searcher() as searcher:
            return overview(searcher)

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
            # The query's texts are analysed once: the compiler and もしかして's counts read the analysis.
            analyser = Analyser(searcher.schema["body"].analyzer, self.synonyms.current(time.monotonic()))
            analysed = analyser.analyse(node)
            compiled = compile_query(analysed)
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
            seen = Matched(searcher.doc_count_all()) if facets else None
            limit = page * per_page
            found = rank(searcher, compiled, limit, allow=allow, sort=order, seen=seen)
            total, ranked, relaxed, dropped = found.total, found.ranked, found.relaxed, found.dropped
            top = ranked[(page - 1) * per_page : limit]
            spans = match_spans(searcher, [d for d, _ in top], compiled.highlights)
            hits = tuple(
                _to_hit(stored_fields(searcher, d), score, spans.get(d, {}), partial=d in found.partial)
                for d, score in top
            )
            counted = count_facets(facet_table(searcher), seen.mask, filters) if seen is not None else None
        # もしかして looks at the articles with every word, not at the partial matches.
        strict = found.strict_total
        wanted = wants_suggestion(strict, relaxed)
        suggestion = self._did_you_mean(query, analyser, analysed, strict, relaxed) if wanted else None
        return replace(
            base, total=total, hits=hits, relaxed=relaxed, dropped=dropped, facets=counted, suggestion=suggestion
        )

    def warm(self) -> None:
        """Open the searcher and start building the vocabulary in the background (at a worker's start)."""
        with self.handle.searcher() as searcher:
            self.vocabulary.start(searcher, self.handle.own_searcher)

    def _vocabulary(self, wait: float) -> Vocabulary | None:
        """The vocabulary of the live generation once built (the previous one meanwhile), waiting up to `wait`."""
        with self.handle.searcher() as searcher:
            self.vocabulary.start(searcher, self.handle.own_searcher)
        return self.vocabulary.current(wait)

    def _did_you_mean(
        self, query: str, analyser: Analyser, analysed: AnalysedQuery, total: int, relaxed: bool
    ) -> str | None:
        """もしかして: a better query from the index's own words, or None."""
        # Never waits for readings (ねんまつ → 年末): just after a reindex a kana word may go uncorrected.
        vocabulary = self._vocabulary(self.vocabulary_wait)
        if vocabulary is None:
            return None
        # The reader's own words were parsed and analysed with the query: counted as they are.
        own = frozenset(plain_words(query, analysed.node) or ())
        with self.handle.searcher() as searcher:
            # One evaluator for every count: the candidates share most of their words.
            evaluator = Evaluator(searcher)
            return suggest_query(
                query, analysed, total, relaxed, vocabulary, lambda q: self._count(evaluator, analyser, own, q)
            )

    def _count(self, evaluator: Evaluator, analyser: Analyser, own: frozenset[str], query: str) -> int:
        """How many documents have every word of a query (0 for one that cannot run).

        A corrected query is new text, parsed as the reader's link to it will be; its words
        already analysed (most of them) are not analysed again.
        """
        try:
            node: Node | None = Words(query) if query in own else parse_query(query)
            compiled = compile_query(analyser.analyse(node))
        except (QuerySyntaxError, ValueError):
            return 0
        if compiled.query is None:
            return 0
        return count_matches(evaluator, compiled.query)

    def _compile_quietly(self, searcher: Searcher, query: str) -> CompiledQuery | None:
        """The compiled query, or None for one the reader would have to fix (here it only adds extras)."""
        try:
            return Compiler(searcher.schema["body"].analyzer, self.synonyms.current(time.monotonic())).compile(
                parse_query(query)
            )
        except (QuerySyntaxError, ValueError):
            return None

    def suggest(self, prefix: str) -> list[Suggestion]:
        """Completions of what the reader is typing; ValueError for a prefix that is too long."""
        if len(prefix) > MAX_PREFIX_CHARS:
            msg = f"入力が長すぎます（{MAX_PREFIX_CHARS} 文字まで）"
            raise ValueError(msg)
        if not prefix.strip():
            return []
        vocabulary = self._vocabulary(self.vocabulary.wait)
        if self.vocabulary.wait_for_readings():
            vocabulary = self.vocabulary.current()
        return vocabulary.complete(prefix) if vocabulary is not None else []

    def article(self, path: str, query: str = "") -> ArticleView | None:
        """The article under `path` with `query` marked in its text, or None if the index has no such document."""
        with self.handle.searcher() as s:
            docnum = s.document_number(path=path)
            if docnum is None:
                return None
            fields = s.stored_fields(docnum)
            body = fields.get("body", "")
            spans = self._article_spans(s, docnum, query) if query.strip() else []
            lines = paragraphs(body, spans)
            related = related_articles(s, docnum, fields)
        return ArticleView(
            path=fields["path"],
            title=fields.get("title", ""),
            url=fields.get("url", ""),
            date=_date(fields.get("date")),
            category=fields.get("category", ""),
            tags=_tags(fields.get("tags", "")),
            description=fields.get("description", ""),
            paragraphs=lines,
            related=related,
        )

    def _article_spans(self, searcher: Searcher, docnum: int, query: str) -> list[Match]:
        """Where the query matches the article's text (nothing for a query that cannot run)."""
        compiled = self._compile_quietly(searcher, query)
        if compiled is None:
            return []
        return match_spans(searcher, [docnum], compiled.highlights).get(docnum, {}).get("body", [])


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
