"""Two peer systems on the same documents: SQLite FTS5 (trigram) and character-bigram BM25 (bm25s)."""

from __future__ import annotations

import re
import sqlite3
import time
import unicodedata
from collections.abc import Sequence
from typing import Protocol

from bench.datasets import Document

# Runs of letters and digits (kanji, kana, Latin, digits): n-grams never span punctuation or spaces.
_WORD_RUN = re.compile(r"\w+")


class Retriever(Protocol):
    """A system under evaluation: ranked document ids for a query."""

    name: str
    index_seconds: float

    def search(self, query: str, k: int) -> list[str]: ...

    def close(self) -> None: ...


def normalize(text: str) -> str:
    """NFKC and lower case: what both peers do to documents and queries alike."""
    return unicodedata.normalize("NFKC", text).lower()


def char_ngrams(text: str, n: int, *, short_runs: bool) -> list[str]:
    """Overlapping n-grams of each word run of the normalized text; runs shorter than n whole if short_runs."""
    grams: list[str] = []
    for run in _WORD_RUN.findall(normalize(text)):
        if len(run) < n:
            if short_runs:
                grams.append(run)
            continue
        grams.extend(run[i : i + n] for i in range(len(run) - n + 1))
    return grams


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def fts5_match(query: str) -> str:
    """The FTS5 MATCH expression for a query: OR of its distinct trigrams, each a quoted string.

    The trigram tokenizer cannot match a string of fewer than three characters, so word runs
    shorter than that are left out; a query with none left finds nothing.
    """
    grams = _unique(char_ngrams(query, 3, short_runs=False))
    return " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)


class Fts5Trigram:
    """SQLite FTS5 with the trigram tokenizer over NFKC text, ranked by its built-in bm25()."""

    name = "fts5-trigram"

    def __init__(self, docs: Sequence[Document]) -> None:
        started = time.perf_counter()
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE docs USING fts5(docid UNINDEXED, title, text, tokenize='trigram')")
        with self.db:
            self.db.executemany(
                "INSERT INTO docs (docid, title, text) VALUES (?, ?, ?)",
                ((d.id, normalize(d.title), normalize(d.text)) for d in docs),
            )
        self.index_seconds = time.perf_counter() - started

    def search(self, query: str, k: int) -> list[str]:
        expression = fts5_match(query)
        if not expression:
            return []
        rows = self.db.execute("SELECT docid FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?", (expression, k))
        return [row[0] for row in rows]

    def close(self) -> None:
        """Release the in-memory database."""
        self.db.close()


def bigram_tokens(text: str) -> list[str]:
    """Character bigrams of each word run; a one-character run is its own token."""
    return char_ngrams(text, 2, short_runs=True)


class CharBigramBM25:
    """bm25s (Lucene BM25, k1=1.5, b=0.75) over character bigrams of title and text."""

    name = "bm25s-bigram"

    def __init__(self, docs: Sequence[Document]) -> None:
        import bm25s

        started = time.perf_counter()
        self.ids = [d.id for d in docs]
        self.retriever = bm25s.BM25(backend="numpy")
        self.retriever.index([bigram_tokens(f"{d.title}\n{d.text}") for d in docs], show_progress=False)
        self.index_seconds = time.perf_counter() - started

    def search(self, query: str, k: int) -> list[str]:
        tokens = _unique(bigram_tokens(query))
        if not tokens:
            return []
        found, scores = self.retriever.retrieve([tokens], k=min(k, len(self.ids)), show_progress=False)
        # bm25s fills k slots even with documents that share no bigram (score 0): those are no hits.
        return [self.ids[int(i)] for i, s in zip(found[0], scores[0], strict=True) if s > 0]

    def close(self) -> None:
        """Nothing to release."""
