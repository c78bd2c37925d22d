"""The search service: queries in, plain dataclasses out (views never see Whoosh)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from whoosh import collectors
from whoosh import query as wq
from whoosh.analysis import CompositeAnalyzer
from whoosh.searching import Searcher

from indexer.analysis import query_terms
from indexer.schema import SEARCH_FIELDS, TAG_SEPARATOR
from search_app.index import IndexHandle
from search_app.query import And, Node, Not, Or, QuerySyntaxError, Words, parse_query
from search_app.snippets import Match, highlight, make_snippet

MAX_PER_PAGE = 100
MAX_PAGE = 1000
# Fields whose matches are highlighted from stored character offsets.
_HIGHLIGHT_FIELDS = ("title", "body", "tags")
# A phrase of the query's words, when present, lifts a document above one that
# only has the words scattered.
_PROXIMITY_BOOST = 2.0
# Longer runs (a pasted paragraph, a word typed 500 times) get no proximity
# phrase: its matcher walks every position of every term.
_PROXIMITY_MAX_TERMS = 16


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


@dataclass(frozen=True)
class SearchPage:
    """One page of results for a query."""

    query: str
    terms: tuple[str, ...]
    total: int
    page: int
    per_page: int
    hits: tuple[Hit, ...] = ()

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


@dataclass
class _Compiled:
    query: wq.Query | None
    highlights: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    terms: list[str] = field(default_factory=list)


class SearchService:
    """Runs readers' queries against the index behind an IndexHandle."""

    def __init__(self, handle: IndexHandle) -> None:
        self.handle = handle

    def document_count(self) -> int:
        """Documents in the live index."""
        with self.handle.searcher() as s:
            return s.doc_count()

    def search(self, query: str, page: int = 1, per_page: int = 10) -> SearchPage:
        """Run a query; raise QuerySyntaxError or ValueError for input the reader must fix."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            msg = f"per_page は 1〜{MAX_PER_PAGE} で指定してください"
            raise ValueError(msg)
        if not 1 <= page <= MAX_PAGE:
            msg = f"page は 1〜{MAX_PAGE} で指定してください"
            raise ValueError(msg)
        node = parse_query(query)
        with self.handle.searcher() as searcher:
            compiled = _Compiler(searcher.schema["body"].analyzer).compile(node)
            if compiled.query is None:
                return SearchPage(query, tuple(compiled.terms), 0, page, per_page)
            # Whoosh's default weighting is BM25F (B=0.75, K1=1.2) with the
            # schema's field boosts: title above tags above body.
            # No block-quality skipping and no matcher replacement: Whoosh's
            # defaults drop documents below the current top-N score from the
            # count (the total then depends on the page size) or re-run the query.
            collector = collectors.TopCollector(limit=page * per_page, usequality=False, replace=0)
            searcher.search_with_collector(compiled.query, collector)
            results = collector.results()
            total = collector.count()
            top = list(results)[(page - 1) * per_page : page * per_page]
            s = searcher
            spans = _match_spans(s, [h.docnum for h in top], compiled.highlights)
            hits = tuple(_to_hit(h.fields(), h.score, spans.get(h.docnum, {})) for h in top)
        return SearchPage(query, tuple(compiled.terms), total, page, per_page, hits)

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


class _Compiler:
    """Turns the parsed query into a Whoosh query, through the index's own analyzer."""

    def __init__(self, analyzer: CompositeAnalyzer) -> None:
        self.analyzer = analyzer
        self.out = _Compiled(None)

    def compile(self, node: Node | None) -> _Compiled:
        if node is None:
            return self.out
        positives = [n for n in (node.nodes if isinstance(node, And) else (node,)) if not isinstance(n, Not)]
        if not positives:
            msg = "除外語（-）だけでは検索できません。探したい語も入れてください"
            raise QuerySyntaxError(msg)
        self.out.query = self._node(node, positive=True)
        return self.out

    def _node(self, node: Node, *, positive: bool) -> wq.Query | None:
        if isinstance(node, Words):
            return self._words(node, positive=positive)
        if isinstance(node, Not):
            inner = self._node(node.node, positive=not positive)
            if isinstance(inner, wq.Not):
                return inner.query  # NOT NOT x: nested inverse matchers each walk every document
            return wq.Not(inner) if inner is not None else None
        # A condition typed many times is one matcher, not hundreds.
        parts = list(dict.fromkeys(q for q in (self._node(n, positive=positive) for n in node.nodes) if q is not None))
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return wq.Or(parts) if isinstance(node, Or) else _all_of(parts)

    def _words(self, node: Words, *, positive: bool) -> wq.Query | None:
        fields = node.fields or SEARCH_FIELDS
        if fields == ("category",):
            return wq.Term("category", node.text)
        full = query_terms(self.analyzer, node.text, keep_function_words=True)
        words = list(dict.fromkeys(full if node.phrase else query_terms(self.analyzer, node.text) or full))
        if not words:
            return None
        if positive:
            self.out.terms.extend(t for t in words if t not in self.out.terms)
            # Particles inside a phrase would light up all over the text; mark content words.
            marked = query_terms(self.analyzer, node.text) or words
            for f in fields:
                if f in _HIGHLIGHT_FIELDS:
                    self.out.highlights[f].update(marked)
        if node.phrase and len(full) > 1:
            return _any_field(fields, lambda f: wq.Phrase(f, full))
        required = wq.And([_any_field(fields, lambda f, t=t: wq.Term(f, t)) for t in words])
        if len(words) == 1:
            return required.subqueries[0]
        if 1 < len(full) <= _PROXIMITY_MAX_TERMS:
            # Words typed together (経費精算) rank higher where they stand together.
            return wq.AndMaybe(required, _any_field(fields, lambda f: wq.Phrase(f, full, boost=_PROXIMITY_BOOST)))
        return required


def _all_of(parts: list[wq.Query]) -> wq.Query:
    """AND of the parts, with x -a -b … as x ANDNOT (a OR b …).

    Whoosh walks every document once per negated word otherwise, and a query may hold hundreds of them.
    """
    kept = [p for p in parts if not isinstance(p, wq.Not)]
    nots = [p.query for p in parts if isinstance(p, wq.Not)]
    if kept and len(nots) > 1:
        return wq.AndNot(kept[0] if len(kept) == 1 else wq.And(kept), wq.Or(nots))
    return wq.And(parts)


def _any_field(fields: Iterable[str], make) -> wq.Query:  # noqa: ANN001 - a small factory
    queries = [make(f) for f in fields]
    return queries[0] if len(queries) == 1 else wq.Or(queries)


def _match_spans(
    searcher: Searcher, docnums: list[int], highlights: dict[str, set[str]]
) -> dict[int, dict[str, list[Match]]]:
    """Character spans of the query's terms in each hit, from offsets stored at index time."""
    out: dict[int, dict[str, list[Match]]] = defaultdict(lambda: defaultdict(list))
    wanted = sorted(docnums)
    reader = searcher.reader()
    for fieldname, terms in highlights.items():
        for term in terms:
            if (fieldname, term) not in reader:
                continue
            m = reader.postings(fieldname, term)
            for docnum in wanted:
                if not m.is_active():
                    break
                if m.id() < docnum:
                    m.skip_to(docnum)
                if m.is_active() and m.id() == docnum:
                    out[docnum][fieldname].extend(Match(s, e, term) for _p, s, e in m.value_as("characters"))
    return out


def _to_hit(fields: dict, score: float, spans: dict[str, list[Match]]) -> Hit:
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
    )


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _tags(value: str) -> tuple[str, ...]:
    return tuple(t for t in value.split(TAG_SEPARATOR) if t)
