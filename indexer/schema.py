"""The Whoosh schema and how an Article becomes a document."""

from __future__ import annotations

import datetime as dt
from typing import Any

from whoosh.analysis import CompositeAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from indexer.analysis import AnalyzedText, analyze, analyze_with_readings, japanese_analyzer, title_words
from indexer.extract import Article
from indexer.ngrams import char_ngram_analyzer, reading_analyzer, reading_text

# Fields a plain query word searches, with their weights in the ranking.
SEARCH_FIELDS = ("title", "body", "tags")
FIELD_BOOSTS = {"title": 3.0, "tags": 1.5, "body": 1.0}
# How many times the title's n-grams count in text_ng (the title's weight there).
TITLE_REPEAT = 3


def build_schema(analyzer: CompositeAnalyzer | None = None) -> Schema:
    """The index schema; the document key is `path`, relative to the corpus, with `/`."""
    ana = analyzer or japanese_analyzer()
    ngram = char_ngram_analyzer()
    reading = reading_analyzer()
    return Schema(
        path=ID(stored=True, unique=True, sortable=True),
        # sha256 of the analysis version and the file's bytes: what makes a
        # file "changed" for the incremental indexer.
        digest=ID(sortable=True),
        url=STORED(),
        description=STORED(),
        # The title's words with readings and parts of speech, from the indexing pass:
        # the app's completions read them instead of running Janome over every title.
        title_words=STORED(),
        title=TEXT(analyzer=ana, stored=True, chars=True, field_boost=FIELD_BOOSTS["title"]),
        body=TEXT(analyzer=ana, stored=True, chars=True, field_boost=FIELD_BOOSTS["body"]),
        tags=TEXT(analyzer=ana, stored=True, chars=True, field_boost=FIELD_BOOSTS["tags"]),
        # Character n-grams: parts of compounds and words Janome splits differently.
        title_ng=TEXT(analyzer=ngram, chars=True, field_boost=FIELD_BOOSTS["title"]),
        body_ng=TEXT(analyzer=ngram, chars=True, field_boost=FIELD_BOOSTS["body"]),
        # Title and body n-grams in one field, counts only: one BM25 over the whole
        # article (the title's grams counted TITLE_REPEAT times), for ranking.
        text_ng=TEXT(analyzer=ngram, phrase=False),
        # Reading n-grams: kana input finds the kanji words (けいひ → 経費).
        title_rd=TEXT(analyzer=reading, chars=True, field_boost=FIELD_BOOSTS["title"]),
        body_rd=TEXT(analyzer=reading, chars=True, field_boost=FIELD_BOOSTS["body"]),
        tag=KEYWORD(commas=True, sortable=True),
        category=ID(stored=True, sortable=True),
        date=DATETIME(stored=True, sortable=True),
    )


TAG_SEPARATOR = "\n"


def to_document(article: Article, digest: str, schema: Schema) -> dict[str, Any]:
    """Fields for one document; every text field carries its tokens (Janome runs once per text)."""
    morph = schema["body"].analyzer
    ngram = schema["body_ng"].analyzer
    tags_text = TAG_SEPARATOR.join(article.tags)
    title, title_readings = analyze_with_readings(morph, article.title)
    title_ng, body_ng = analyze(ngram, article.title), analyze(ngram, article.body)
    body, body_readings = analyze_with_readings(morph, article.body)
    doc: dict[str, Any] = {
        "path": article.path,
        "digest": digest,
        "url": article.url,
        "description": article.description,
        "title": title,
        "_stored_title": article.title,
        "body": body,
        "_stored_body": article.body,
        "tags": analyze(morph, tags_text),
        "_stored_tags": tags_text,
        "title_ng": title_ng,
        "body_ng": body_ng,
        # Not stored and never highlighted: only the tokens matter, not the text.
        "text_ng": AnalyzedText("", title_ng.tokens * TITLE_REPEAT + body_ng.tokens),
        "title_words": title_words(article.title, title_readings),
        "title_rd": reading_text(article.title, title_readings),
        "body_rd": reading_text(article.body, body_readings),
        "category": article.category,
    }
    if article.tags:
        doc["tag"] = ",".join(t.replace(",", " ") for t in article.tags)
    if article.date is not None:
        doc["date"] = dt.datetime.combine(article.date, dt.time())
    return doc
