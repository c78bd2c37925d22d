"""The Whoosh schema and how an Article becomes a document."""

from __future__ import annotations

import datetime as dt
from array import array
from typing import Any

from whoosh.analysis import CompositeAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from indexer.analysis import analyze, analyze_with_readings, japanese_analyzer, title_words
from indexer.extract import Article
from indexer.flatpostings import FieldPostings, group
from indexer.ngrams import char_ngram_analyzer, reading_analyzer, reading_grams
from indexer.offsets import encode_spans, kana_length

# Fields a plain query word searches, with their weights in the ranking.
SEARCH_FIELDS = ("title", "body", "tags")
FIELD_BOOSTS = {"title": 3.0, "tags": 1.5, "body": 1.0}
# How many times the title's n-grams count in text_ng (the title's weight there).
TITLE_REPEAT = 3


def build_schema(analyzer: CompositeAnalyzer | None = None) -> Schema:
    """The index schema; the document key is `path`, relative to the corpus, with `/`.

    The text fields' postings hold positions only (no character offsets) and live in
    the flat arrays (indexer/flatpostings.py); offsets come back from the stored text
    and the token tables `body_spans` / `tags_spans` (indexer/offsets.py).
    """
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
        # the app's completions read them instead of running Janome over every title,
        # and highlights find the title's word spans from them.
        title_words=STORED(),
        # Each body and tags word's span (and the body word's reading length), delta-encoded.
        body_spans=STORED(),
        tags_spans=STORED(),
        title=TEXT(analyzer=ana, stored=True, field_boost=FIELD_BOOSTS["title"]),
        body=TEXT(analyzer=ana, stored=True, field_boost=FIELD_BOOSTS["body"]),
        tags=TEXT(analyzer=ana, stored=True, field_boost=FIELD_BOOSTS["tags"]),
        # Character n-grams: parts of compounds and words Janome splits differently.
        title_ng=TEXT(analyzer=ngram, field_boost=FIELD_BOOSTS["title"]),
        body_ng=TEXT(analyzer=ngram, field_boost=FIELD_BOOSTS["body"]),
        # Title and body n-grams as one text (the title's counted TITLE_REPEAT times):
        # one BM25 over the whole article, for ranking. Only its lengths are written;
        # its counts are title_ng's and body_ng's, combined at query time.
        text_ng=TEXT(analyzer=ngram, phrase=False),
        # Reading n-grams: kana input finds the kanji words (けいひ → 経費).
        title_rd=TEXT(analyzer=reading, field_boost=FIELD_BOOSTS["title"]),
        body_rd=TEXT(analyzer=reading, field_boost=FIELD_BOOSTS["body"]),
        tag=KEYWORD(commas=True, sortable=True),
        category=ID(stored=True, sortable=True),
        date=DATETIME(stored=True, sortable=True),
    )


TAG_SEPARATOR = "\n"


def to_document(article: Article, digest: str, schema: Schema) -> dict[str, Any]:
    """Fields for one document: each text field's postings grouped here, from one Janome pass per text."""
    morph = schema["body"].analyzer
    ngram = schema["body_ng"].analyzer
    tags_text = TAG_SEPARATOR.join(article.tags)
    title, title_readings = analyze_with_readings(morph, article.title)
    body, body_readings = analyze_with_readings(morph, article.body)
    tags = analyze(morph, tags_text)
    title_ng, body_ng = analyze(ngram, article.title), analyze(ngram, article.body)
    doc: dict[str, Any] = {
        "path": article.path,
        "digest": digest,
        "url": article.url,
        "description": article.description,
        "title": group(title),
        "_stored_title": article.title,
        "body": group(body),
        "_stored_body": article.body,
        "tags": group(tags),
        "_stored_tags": tags_text,
        "title_ng": group(title_ng),
        "body_ng": group(body_ng),
        # Its length only (the title's grams TITLE_REPEAT times and the body's): no postings of its own.
        "text_ng": FieldPostings("", array("I"), array("I"), len(title_ng) * TITLE_REPEAT + len(body_ng)),
        "title_words": title_words(article.title, title_readings),
        "body_spans": encode_spans([(s, e, kana_length(r)) for r, s, e, *_ in body_readings], kana=True),
        "tags_spans": encode_spans([(s, e, 0) for _t, _p, s, e in tags], kana=False),
        "title_rd": group(reading_grams(title_readings)),
        "body_rd": group(reading_grams(body_readings)),
        "category": article.category,
    }
    if article.tags:
        doc["tag"] = ",".join(t.replace(",", " ") for t in article.tags)
    if article.date is not None:
        doc["date"] = dt.datetime.combine(article.date, dt.time())
    return doc
