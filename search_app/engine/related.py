"""The article page's extras: the reader's query marked in the text, and 関連する記事."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.ngrams import query_char_runs
from indexer.schema import TAG_SEPARATOR
from search_app.engine.snippets import Match, highlight

RELATED_COUNT = 5
# Key character bigrams of an article that make up its similarity query.
KEY_TERMS = 24
# A title (or tag) bigram counts as this many in the text.
TITLE_WEIGHT = 3
# Only the opening of a long article is analyzed: enough for its topic, and bounded work.
KEY_TEXT_CHARS = 4000
# Terms in more documents than this share of the collection say nothing about a topic.
MAX_DF_SHARE = 0.5
_FUNCTION_GRAM = re.compile(r"[\u3041-\u309f]+|[\x00-\x7f]+")


@dataclass(frozen=True)
class RelatedArticle:
    """A link to a similar article."""

    path: str
    title: str
    date: dt.date | None
    category: str


def paragraphs(body: str, matches: Iterable[Match]) -> tuple[Markup, ...]:
    """The body's non-empty lines, each escaped and with the matches inside it marked."""
    spans = sorted(matches)
    out = []
    start = 0
    for line in body.split("\n"):
        end = start + len(line)
        if line:
            inside = [m for m in spans if m.start < end and m.end > start]
            out.append(highlight(body, inside, start, end))
        start = end + 1
    return tuple(out)


def related_articles(searcher: Searcher, docnum: int, fields: dict) -> tuple[RelatedArticle, ...]:
    """The articles most like this one: its key terms (tf·idf) as one OR query; never itself.

    An article with little or no text is matched by its title and tags; when
    too few are found, articles sharing a tag, then the category, fill the list.
    """
    found: list[int] = []
    query = _similarity_query(searcher, fields)
    if query is not None:
        results = searcher.search(query, limit=RELATED_COUNT, mask={docnum})
        found.extend(hit.docnum for hit in results)
    if len(found) < RELATED_COUNT:
        neighbours = [wq.Term("tag", t.replace(",", " ")) for t in _tags(fields)]
        if fields.get("category"):
            neighbours.append(wq.Term("category", fields["category"]))
        for q in neighbours:
            if len(found) >= RELATED_COUNT:
                break
            results = searcher.search(q, limit=RELATED_COUNT, mask={docnum, *found})
            found.extend(hit.docnum for hit in results)
    return tuple(_related(searcher.stored_fields(d)) for d in found[:RELATED_COUNT])


def _similarity_query(searcher: Searcher, fields: dict) -> wq.Query | None:
    # Character bigrams, not Janome words: the same topical evidence (経費, 精算,
    # 申請) for a fraction of the cost; Janome over a long article takes ~100 ms.
    counts: Counter[str] = Counter()
    for text, weight in ((fields.get("title", ""), TITLE_WEIGHT), (" ".join(_tags(fields)), TITLE_WEIGHT)):
        for run in query_char_runs(text):
            counts.update({g: weight for g in run if _topical(g)})
    for run in query_char_runs(fields.get("body", "")[:KEY_TEXT_CHARS]):
        counts.update(g for g in run if _topical(g))
    total = max(1, searcher.doc_count())
    reader = searcher.reader()
    weights: dict[str, float] = {}
    for gram, tf in counts.items():
        df = reader.doc_frequency("body_ng", gram)
        # A gram only this article has cannot find another one.
        if df < 2 or df > max(2, total * MAX_DF_SHARE):
            continue
        weights[gram] = (1 + math.log(tf)) * math.log(1 + total / df)
    best = sorted(weights, key=lambda t: (-weights[t], t))[:KEY_TERMS]
    if not best:
        return None
    top = weights[best[0]]
    return wq.Or([wq.Term(f, g, boost=weights[g] / top) for g in best for f in ("body_ng", "title_ng")])


def _topical(gram: str) -> bool:
    """Two characters that are not both kana or both ASCII (して, ます, 20 say nothing of a topic)."""
    return len(gram) == 2 and not _FUNCTION_GRAM.fullmatch(gram)


def _tags(fields: dict) -> list[str]:
    return [t for t in fields.get("tags", "").split(TAG_SEPARATOR) if t]


def _related(fields: dict) -> RelatedArticle:
    value = fields.get("date")
    date = value.date() if isinstance(value, dt.datetime) else value if isinstance(value, dt.date) else None
    return RelatedArticle(fields["path"], fields.get("title", "") or fields["path"], date, fields.get("category", ""))
