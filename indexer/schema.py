"""The Whoosh schema and how an Article becomes a document."""

from __future__ import annotations

import datetime as dt
from typing import Any

from whoosh.analysis import CompositeAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from indexer.analysis import analyze, japanese_analyzer
from indexer.extract import Article

# Fields a plain query word searches, with their weights in the ranking.
SEARCH_FIELDS = ("title", "body", "tags")
FIELD_BOOSTS = {"title": 3.0, "tags": 1.5, "body": 1.0}


def build_schema(analyzer: CompositeAnalyzer | None = None) -> Schema:
    """The index schema; the document key is `path`, relative to the corpus, with `/`."""
    ana = analyzer or japanese_analyzer()
    return Schema(
        path=ID(stored=True, unique=True, sortable=True),
        # sha256 of the analysis version and the file's bytes: what makes a
        # file "changed" for the incremental indexer.
        digest=ID(sortable=True),
        url=STORED(),
        description=STORED(),
        title=TEXT(analyzer=ana, stored=True, chars=True, field_boost=FIELD_BOOSTS["title"]),
        body=TEXT(analyzer=ana, stored=True, chars=True, field_boost=FIELD_BOOSTS["body"]),
        tags=TEXT(analyzer=ana, stored=True, chars=True, field_boost=FIELD_BOOSTS["tags"]),
        tag=KEYWORD(commas=True, sortable=True),
        category=ID(stored=True, sortable=True),
        date=DATETIME(stored=True, sortable=True),
    )


TAG_SEPARATOR = "\n"


def to_document(article: Article, digest: str, analyzer: CompositeAnalyzer) -> dict[str, Any]:
    """Fields for one document; the text fields carry their tokens (analyzed once)."""
    tags_text = TAG_SEPARATOR.join(article.tags)
    doc: dict[str, Any] = {
        "path": article.path,
        "digest": digest,
        "url": article.url,
        "description": article.description,
        "title": analyze(analyzer, article.title),
        "_stored_title": article.title,
        "body": analyze(analyzer, article.body),
        "_stored_body": article.body,
        "tags": analyze(analyzer, tags_text),
        "_stored_tags": tags_text,
        "category": article.category,
    }
    if article.tags:
        doc["tag"] = ",".join(t.replace(",", " ") for t in article.tags)
    if article.date is not None:
        doc["date"] = dt.datetime.combine(article.date, dt.time())
    return doc
