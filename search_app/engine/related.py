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
from search_app.engine.arrays import live_mask
from search_app.engine.evaluator import Evaluator
from search_app.engine.features import Features
from search_app.engine.pipeline import SIMILAR, ordered, score
from search_app.engine.settings import (
    RELATED_KEY_TERMS,
    RELATED_MAX_DF_SHARE,
    RELATED_TEXT_CHARS,
    RELATED_TITLE_WEIGHT,
)
from search_app.engine.snippets import Match, highlight

# How many are listed (the weights of the similarity query are in settings.py).
RELATED_COUNT = 5
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

    The query is scored like every other (the evaluator's BM25, pipeline.score with
    the SIMILAR plan) and ordered by the pipeline's rule (best first, the newer on a
    tie). An article with little or no text is matched by its title and tags; when
    too few are found, articles sharing a tag, then the category, fill the list,
    newest first.
    """
    evaluator = Evaluator(searcher)
    others = live_mask(searcher).copy()
    others[docnum] = False
    found: list[int] = []
    query = _similarity_query(searcher, fields)
    if query is not None:
        similar = evaluator.evaluate(query)
        listed = similar.mask & others
        scores = score(SIMILAR, Features(similar.scores, listed))
        found.extend(d for d, _ in ordered(searcher, scores, listed, RELATED_COUNT))
    if len(found) < RELATED_COUNT:
        neighbours = [wq.Term("tag", t.replace(",", " ")) for t in _tags(fields)]
        if fields.get("category"):
            neighbours.append(wq.Term("category", fields["category"]))
        for q in neighbours:
            if len(found) >= RELATED_COUNT:
                break
            others[found] = False
            sharing = evaluator.evaluate(q)
            newest = ordered(searcher, sharing.scores, sharing.mask & others, RELATED_COUNT, "newest")
            found.extend(d for d, _ in newest)
    return tuple(_related(searcher.stored_fields(d)) for d in found[:RELATED_COUNT])


def _similarity_query(searcher: Searcher, fields: dict) -> wq.Query | None:
    # Character bigrams, not Janome words: the same topical evidence (経費, 精算,
    # 申請) for a fraction of the cost; Janome over a long article takes ~100 ms.
    counts: Counter[str] = Counter()
    for text in (fields.get("title", ""), " ".join(_tags(fields))):
        for run in query_char_runs(text):
            counts.update({g: RELATED_TITLE_WEIGHT for g in run if _topical(g)})
    for run in query_char_runs(fields.get("body", "")[:RELATED_TEXT_CHARS]):
        counts.update(g for g in run if _topical(g))
    total = max(1, searcher.doc_count())
    reader = searcher.reader()
    weights: dict[str, float] = {}
    for gram, tf in counts.items():
        df = reader.doc_frequency("body_ng", gram)
        # A gram only this article has cannot find another one.
        if df < 2 or df > max(2, total * RELATED_MAX_DF_SHARE):
            continue
        weights[gram] = (1 + math.log(tf)) * math.log(1 + total / df)
    best = sorted(weights, key=lambda t: (-weights[t], t))[:RELATED_KEY_TERMS]
    if not best:
        return None
    top = weights[best[0]]
    return wq.Or([wq.Term(f, g, boost=weights[g] / top) for g in best for f in ("body_ng", "title_ng")])


def _topical(gram: str) -> bool:
    """Two characters that are not both hiragana or both ASCII (して, ます, 20 say nothing of a topic)."""
    return len(gram) == 2 and not _FUNCTION_GRAM.fullmatch(gram)


def _tags(fields: dict) -> list[str]:
    return [t for t in fields.get("tags", "").split(TAG_SEPARATOR) if t]


def _related(fields: dict) -> RelatedArticle:
    value = fields.get("date")
    date = value.date() if isinstance(value, dt.datetime) else value if isinstance(value, dt.date) else None
    return RelatedArticle(fields["path"], fields.get("title", "") or fields["path"], date, fields.get("category", ""))
