"""The reader's query analysed once: each text's Janome words, strengths, readings, n-grams and synonyms.

The compiler (and the highlights it records) and もしかして read this one object:
nothing after it tokenizes, normalizes or parses the query's texts again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from whoosh.analysis import CompositeAnalyzer

from indexer.analysis import QueryToken, QueryWord, is_content_word, is_weak_word, meaningful_terms, query_tokens
from indexer.dictionaries import Synonyms
from indexer.ngrams import (
    RUN,
    char_runs,
    is_hiragana_word,
    is_kana_word,
    is_katakana_word,
    mixed_reading,
    normalize,
    query_reading_grams,
    text_grams,
)
from search_app.engine.completions import words_reading
from search_app.engine.syntax import Node, Not, Words


@dataclass(frozen=True)
class AnalysedText:
    """One text of a query (a word, a phrase or a synonym) as every part of the search reads it."""

    text: str
    # The one normal form (NFKC, lower case, iteration marks written out): the n-grams' and もしかして's.
    normalized: str
    # Every word, function words too, from the one Janome pass: as searched and as written, its part
    # of speech, reading and span.
    tokens: tuple[QueryToken, ...]
    words: tuple[QueryWord, ...]
    # Each word as searched (a phrase's), and the content words only (a plain word's).
    every_term: tuple[str, ...]
    terms: tuple[str, ...]
    # Each content word, with whether it is required (nouns) or weak (verbs, adverbs, adjectives).
    strengths: tuple[tuple[str, bool], ...]
    # The content words that can mean the query by themselves (not numbers, affixes, verbs…).
    meaningful: frozenset[str]
    # Written in kana only, hiragana only, katakana only; one unbroken run of word characters.
    kana: bool
    hiragana: bool
    katakana: bool
    single_run: bool
    # The katakana its reading grams come from: the kana word, or a word typed half in kana (年末ちょうせい).
    reading: str | None
    reading_grams: tuple[str, ...]
    # The bigrams (and single kanji) that match it in the n-gram fields, one tuple per run.
    runs: tuple[tuple[str, ...], ...]
    # The n-grams as text_ng holds them, each once: the n-gram ranking's.
    text_grams: tuple[str, ...]
    # The whole text's reading (もしかして looks up words read the same); None if a part has none.
    spoken: str | None


@dataclass(frozen=True)
class AnalysedQuery:
    """A parsed query with each of its texts analysed once."""

    node: Node | None
    # Every text the query searches for (words, phrases and their synonyms), by its text.
    texts: Mapping[str, AnalysedText]
    # The synonyms of each plain word (none for phrases and categories).
    synonyms: Mapping[str, tuple[str, ...]]

    def text(self, text: str) -> AnalysedText:
        """The analysis of one of the query's texts."""
        return self.texts[text]


class Analyser:
    """Analyses queries through the index's analyzer: each distinct text once, however many queries hold it.

    One per search: the queries もしかして counts share most of their words with the reader's.
    """

    def __init__(self, analyzer: CompositeAnalyzer, synonyms: Synonyms | None = None) -> None:
        self.analyzer = analyzer
        self.synonyms = synonyms or Synonyms({})
        self._texts: dict[str, AnalysedText] = {}
        self._expanded: dict[str, tuple[str, ...]] = {}

    def analyse(self, node: Node | None) -> AnalysedQuery:
        """Analyse every text of a parsed query (None: nothing to search for)."""
        texts: dict[str, AnalysedText] = {}
        synonyms: dict[str, tuple[str, ...]] = {}
        for words in _words(node):
            if words.fields == ("category",):
                continue  # a category is matched as typed
            texts[words.text] = self.text(words.text)
            if not words.phrase:
                synonyms[words.text] = found = self._synonyms(words.text)
                texts.update((s, self.text(s)) for s in found)
        return AnalysedQuery(node, texts, synonyms)

    def text(self, text: str) -> AnalysedText:
        """The analysis of one text, made on first use."""
        if (found := self._texts.get(text)) is None:
            found = self._texts[text] = analyse_text(self.analyzer, text)
        return found

    def _synonyms(self, text: str) -> tuple[str, ...]:
        if (found := self._expanded.get(text)) is None:
            found = self._expanded[text] = self.synonyms.expand(text)
        return found


def analyse(node: Node | None, analyzer: CompositeAnalyzer, synonyms: Synonyms | None = None) -> AnalysedQuery:
    """Analyse a parsed query once: what the compiler and もしかして read."""
    return Analyser(analyzer, synonyms).analyse(node)


def analyse_text(analyzer: CompositeAnalyzer, text: str) -> AnalysedText:
    """Every view of one text the search needs, from one Janome pass and one normalization."""
    tokens = tuple(query_tokens(analyzer, text))
    words = tuple(t.word for t in tokens)
    content = [w for w in words if is_content_word(w)]
    normalized = normalize(text)
    kana = is_kana_word(text)
    # Janome's cut of a word typed half in kana tells where its reading starts (mixed_reading).
    reading = text if kana else mixed_reading(text, [t.span for t in tokens])
    return AnalysedText(
        text=text,
        normalized=normalized,
        tokens=tokens,
        words=words,
        every_term=tuple(w[0] for w in words),
        terms=tuple(w[0] for w in content),
        strengths=tuple((w[0], not is_weak_word(w)) for w in content),
        meaningful=frozenset(meaningful_terms(list(words))),
        kana=kana,
        hiragana=is_hiragana_word(text),
        katakana=is_katakana_word(text),
        single_run=bool(RUN.fullmatch(normalized)),
        reading=reading,
        reading_grams=tuple(query_reading_grams(reading)) if reading else (),
        runs=tuple(tuple(run) for run in char_runs(normalized)),
        text_grams=tuple(text_grams(normalized)),
        spoken=_spoken(text, tokens),
    )


def _spoken(text: str, tokens: tuple[QueryToken, ...]) -> str | None:
    """The reading of the whole text: None if a part has none, or is no word (punctuation, spaces)."""
    end = 0
    for t in tokens:
        if t.start != end:
            return None
        end = t.end
    if end != len(text):
        return None
    return words_reading((t.surface, t.reading) for t in tokens)


def _words(node: Node | None) -> Iterator[Words]:
    """Every Words node of a query, wanted or not."""
    if node is None:
        return
    if isinstance(node, Words):
        yield node
    elif isinstance(node, Not):
        yield from _words(node.node)
    else:
        for n in node.nodes:
            yield from _words(n)
