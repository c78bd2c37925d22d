"""Compile a parsed query into Whoosh queries: words, n-grams, readings, synonyms, relaxation units."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.analysis import CompositeAnalyzer

from indexer.dictionaries import Synonyms
from indexer.schema import SEARCH_FIELDS
from search_app.engine.analysed import AnalysedQuery, Analyser
from search_app.engine.settings import (
    MAX_GRAMS,
    NEAR_SLOP,
    NGRAM_WEIGHT,
    PROXIMITY_BOOST,
    READING_WEIGHT,
    SENTENCE_WORDS,
    SYNONYM_WEIGHT,
)
from search_app.engine.syntax import And, Node, Not, Or, QuerySyntaxError, Words

# Longer runs (a pasted paragraph, a word typed 500 times) get no proximity
# phrase: its matcher walks every position of every term.
MAX_PROXIMITY_TERMS = 16
# Relaxation considers at most this many units (words) of a query.
MAX_UNITS = 64
# Longer unbroken runs get no n-gram phrase (the words still match).
MAX_GRAM_PHRASE = 32

_NGRAM_FIELD = {"title": "title_ng", "body": "body_ng"}
_READING_FIELD = {"title": "title_rd", "body": "body_rd"}
MORPH_HIGHLIGHT_FIELDS = ("title", "body", "tags")
_HIRAGANA = re.compile("[\u3041-\u309f]")


@dataclass
class Highlights:
    """What to mark in each field: words, and gram sequences that must stand in a row."""

    terms: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    sequences: dict[str, list[tuple[str, ...]]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class Unit:
    """One thing the reader asked for: a term, a word or a phrase, as a query and as shown."""

    label: str
    query: wq.Query
    # Whether it can mean the query by itself: a relaxed query never stands on weak units alone
    # (numbers, single characters, affixes, verbs: 二 of 簿記二級 finds 二週間).
    strong: bool = True


@dataclass
class CompiledQuery:
    """The strict query, the units relaxation may drop, and what to highlight."""

    query: wq.Query | None
    units: list[Unit] = field(default_factory=list)
    negatives: list[wq.Query] = field(default_factory=list)
    # The n-grams and single kanji of the unfielded positive words: the n-gram ranking (text_ng).
    text_grams: list[str] = field(default_factory=list)
    # The strict query with words alone (no n-grams or readings): what it matches ranks first.
    word_query: wq.Query | None = None
    # Plain text with particles or many words in a stretch (a question, a headline): ranked
    # by how much of it an article shares. Compounds typed apart are keywords: all must match.
    sentence: bool = False
    terms: list[str] = field(default_factory=list)
    highlights: Highlights = field(default_factory=Highlights)


def _all_of(parts: list[wq.Query]) -> wq.Query:
    """AND of the parts, with x -a -b … as x ANDNOT (a OR b …).

    Whoosh walks every document once per negated word otherwise, and a query may hold hundreds of them.
    """
    kept = [p for p in parts if not isinstance(p, wq.Not)]
    nots = [p.query for p in parts if isinstance(p, wq.Not)]
    if kept and len(nots) > 1:
        return wq.AndNot(kept[0] if len(kept) == 1 else wq.And(kept), Union(nots))
    return wq.And(parts)


def _describe(node: Node) -> str:
    """A node as the reader would write it, for "dropped" messages."""
    if isinstance(node, Words):
        return f'"{node.text}"' if node.phrase else node.text
    if isinstance(node, Not):
        return f"-{_describe(node.node)}"
    joiner = " OR " if isinstance(node, Or) else " "
    return "(" + joiner.join(_describe(n) for n in node.nodes) + ")"


class Union(wq.Or):
    """Whoosh's Or, always as a tree of union matchers that skip through the postings.

    On an index under 5,000 documents Whoosh's own Or reads every posting of its
    parts into arrays first (ArrayUnionMatcher): a word in three fields then costs
    whole postings lists. 13 % of a reader query's time at 2,000 articles.
    """

    matcher_type = wq.Or.DEFAULT_MATCHER


def _any(queries: list[wq.Query]) -> wq.Query:
    return queries[0] if len(queries) == 1 else Union(queries)


def _boosted(q: wq.Query, boost: float) -> wq.Query:
    q = q.copy()
    q.boost = boost
    return q


def compile_query(analysed: AnalysedQuery) -> CompiledQuery:
    """Compile an analysed query into Whoosh queries."""
    return _Compilation(analysed).compile()


class Compiler:
    """Compiles parsed queries through the index's own analyzer, each analysed first (analysed.py)."""

    def __init__(self, analyzer: CompositeAnalyzer, synonyms: Synonyms | None = None) -> None:
        self.analyser = Analyser(analyzer, synonyms)

    def compile(self, node: Node | None) -> CompiledQuery:
        """Compile a whole query (None: nothing to search for)."""
        return compile_query(self.analyser.analyse(node))


class _Compilation:
    """Turns the analysed query into Whoosh queries: every word's analysis is read from it, never made again."""

    def __init__(self, analysed: AnalysedQuery) -> None:
        self.analysed = analysed
        self.out = CompiledQuery(None)
        self._words_only = False

    def _terms(self, text: str, *, keep: bool = False) -> list[str]:
        """The query terms of a text: its content words, or (keep) every word."""
        found = self.analysed.text(text)
        return list(found.every_term if keep else found.terms)

    def _strengths(self, text: str) -> list[tuple[str, bool]]:
        """Each content term, with whether it is required (nouns) or weak (verbs…)."""
        return list(self.analysed.text(text).strengths)

    def compile(self) -> CompiledQuery:
        """Compile the whole query."""
        node = self.analysed.node
        if node is None:
            return self.out
        top = list(node.nodes) if isinstance(node, And) else [node]
        positives = [n for n in top if not isinstance(n, Not)]
        if not positives:
            msg = "除外語（-）だけでは検索できません。探したい語も入れてください"
            raise QuerySyntaxError(msg)
        self.out.query = self._node(node, positive=True)
        # Documents with the reader's words rank before those only n-grams found
        # (京都 before 東京都): the same query without n-grams and readings tells them apart.
        self._words_only = True
        try:
            self.out.word_query = self._node(node, positive=False)
        finally:
            self._words_only = False
        for n in positives:
            if isinstance(n, Words):
                seen = {u.label for u in self.out.units}
                self.out.units.extend(u for u in self._units(n) if u.label not in seen)
                if not n.fields:
                    merged = dict.fromkeys((*self.out.text_grams, *self._ranking_grams(n.text)))
                    self.out.text_grams = list(merged)[:MAX_GRAMS]
            elif (q := self._node(n, positive=False)) is not None:
                # A group (…OR…) is one unit: kept or dropped whole.
                self.out.units.append(Unit(_describe(n), q, self._strong_node(n)))
        # The same word typed many times is one unit (relaxation looks at each unit).
        self.out.units = list({u.label: u for u in self.out.units}.values())[:MAX_UNITS]
        # Plain text only (no quotes, fields or operators), with particles or many words in it.
        plain = all(isinstance(n, Words) and not n.phrase and not n.fields for n in top)
        self.out.sentence = plain and any(isinstance(n, Words) and self._is_sentence(n.text) for n in top)
        self.out.negatives = [q for n in top if isinstance(n, Not) and (q := self._node(n.node, positive=False))]
        if self.out.query is not None and len(positives) > 1:
            self.out.query = self._with_nearness(self.out.query, positives)
        return self.out

    def _all_nouns(self, text: str) -> bool:
        """Whether every word Janome finds in the text is a noun (no particle, verb or ending)."""
        full = self._terms(text, keep=True)
        return len(self._terms(text)) == len(full) and all(strong for _, strong in self._strengths(text))

    def _read_whole(self, text: str) -> bool:
        """A word typed as its reading: found whole, by its reading too, never by Janome's pieces of it.

        A hiragana word Janome cuts into nonsense (けいひせいさん → け + いひ + せいさ + ん), or a
        word typed half in kana (年末ちょうせい). Katakana is written as it is typed: Janome's cut
        of ポルトガルのバンド or スマートフォン gives real words.
        """
        found = self.analysed.text(text)
        if not found.kana:
            return found.reading is not None
        if not found.hiragana or len(text) > MAX_GRAM_PHRASE:
            return False
        return len(self._terms(text, keep=True)) > 1

    def _reading(self, text: str) -> str | None:
        """The katakana a word's reading grams come from: a kana word, or a word typed half in kana."""
        return self.analysed.text(text).reading

    def _ranking_grams(self, text: str) -> list[str]:
        """The n-grams a word adds to the n-gram ranking: a reading's hiragana (けい, さん) match only noise."""
        grams = list(self.analysed.text(text).text_grams)
        return [g for g in grams if not _HIRAGANA.search(g)] if self._read_whole(text) else grams

    def _strong_text(self, text: str) -> bool:
        """Whether a word or phrase can mean the query by itself (a reading of two kana or more does)."""
        if self._read_whole(text):
            return len(text) > 1
        return bool(self._meaningful(text))

    def _meaningful(self, text: str) -> frozenset[str]:
        return self.analysed.text(text).meaningful

    def _strong_node(self, node: Node) -> bool:
        """Whether a group can mean the query by itself: one of its wanted words can."""
        if isinstance(node, Words):
            return node.fields == ("category",) or self._strong_text(node.text)
        if isinstance(node, Not):
            return False
        return any(self._strong_node(n) for n in node.nodes)

    def _is_sentence(self, text: str) -> bool:
        """Particles or endings between the words, or three words or more: not one compound (休暇届)."""
        if self._read_whole(text):
            return False
        words = self._terms(text)
        return len(words) >= SENTENCE_WORDS or len(self._terms(text, keep=True)) > len(words)

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
        return Union(parts) if isinstance(node, Or) else _all_of(parts)

    def _words(self, node: Words, *, positive: bool) -> wq.Query | None:
        fields = node.fields or SEARCH_FIELDS
        if fields == ("category",):
            return wq.Term("category", node.text)
        query = self._text_query(node.text, fields, phrase=node.phrase, positive=positive)
        if node.phrase or query is None:
            return query
        alternatives = [query]
        for synonym in self.analysed.synonyms[node.text]:
            # A synonym is a whole expression: its words must stand together.
            if (q := self._text_query(synonym, fields, phrase=True, positive=False)) is not None:
                alternatives.append(_boosted(q, SYNONYM_WEIGHT))
                if positive and not self._words_only:
                    self._remember_synonym(synonym, fields)
        return _any(alternatives)

    def _text_query(self, text: str, fields: tuple[str, ...], *, phrase: bool, positive: bool) -> wq.Query | None:
        full = self._terms(text, keep=True)
        words = list(dict.fromkeys(full if phrase else self._terms(text) or full))
        compound = False
        analysed = self.analysed.text(text)
        if analysed.kana and len(full) > 1:
            # Janome cuts unknown kana strings into nonsense (けいひ → け + いひ):
            # such a word is found by its reading instead. A katakana compound of
            # nouns (スマートフォン → スマート + フォン) is found as its words standing
            # together: two words' positions instead of six bigrams'.
            compound = analysed.katakana and self._all_nouns(text)
            if not compound:
                full = words = []
        alternatives: list[wq.Query] = []
        if words:
            alternatives.append(self._morph(text, words, full, fields, phrase=phrase or compound))
        if self._words_only:
            return alternatives[0] if alternatives else None
        # A phrase may use n-grams only when it is one unbroken run (マイナンバー),
        # never when particles stand between its words.
        runs = [list(r) for r in analysed.runs] if not phrase or analysed.single_run else []
        # A phrase of hundreds of n-grams ("あ" * 1000) walks every position of every gram.
        # Leaving out only the long run would loosen the alternative (グスタフ for a whole
        # question), so a text with one is found by its words alone.
        if any(len(r) > MAX_GRAM_PHRASE for r in runs):
            runs = []
        if runs and (q := self._grams(runs, fields, _NGRAM_FIELD)) is not None:
            alternatives.append(_boosted(q, NGRAM_WEIGHT))
        reading = self._reading(text)
        grams = list(analysed.reading_grams) if reading and len(reading) <= MAX_GRAM_PHRASE else []
        if grams and (q := self._grams([grams], fields, _READING_FIELD)) is not None:
            alternatives.append(_boosted(q, READING_WEIGHT))
        if not alternatives:
            return None
        if positive:
            # A katakana compound is marked whole (its n-grams), never its parts alone (スマート).
            self._remember(text, [] if compound else words, fields, runs, phrase=phrase)
        # N-grams find what the words miss, and readings what both miss; each counts
        # only there: an article with the words is not scored again by its n-grams,
        # and their positions are read only in the articles without the words (evaluator.py).
        found = alternatives[0]
        for fallback in alternatives[1:]:
            found = Union([found, wq.AndNot(fallback, found)])
        return found

    def _morph(
        self, text: str, words: list[str], full: list[str], fields: tuple[str, ...], *, phrase: bool
    ) -> wq.Query:
        if phrase and len(full) > 1:
            return _any([wq.Phrase(f, full) for f in fields])

        def clause(t: str) -> wq.Query:
            return _any([wq.Term(f, t) for f in fields])

        strengths = dict(self._strengths(text)) if not phrase else {}
        strong = [t for t in words if strengths.get(t, True)]
        weak = [t for t in words if not strengths.get(t, True)] if strong else []
        required = [clause(t) for t in (strong or words)]
        conjunction = required[0] if len(required) == 1 else wq.And(required)
        if weak:
            # Verbs, adverbs and adjectives lift a match but do not decide it.
            conjunction = wq.AndMaybe(conjunction, _any([clause(t) for t in weak]))
        if len(words) == 1:
            return conjunction
        if 1 < len(full) <= MAX_PROXIMITY_TERMS:
            # Words typed together (経費精算) rank higher where they stand together.
            near = [wq.Phrase(f, full, boost=PROXIMITY_BOOST) for f in fields]
            return wq.AndMaybe(conjunction, _any(near))
        return conjunction

    @staticmethod
    def _grams(runs: list[list[str]], fields: tuple[str, ...], mapping: dict[str, str]) -> wq.Query | None:
        targets = [mapping[f] for f in fields if f in mapping]
        if not targets:
            return None

        def run_query(f: str, run: list[str]) -> wq.Query:
            return wq.Term(f, run[0]) if len(run) == 1 else wq.Phrase(f, run)

        parts = [_any([run_query(f, run) for f in targets]) for run in runs]
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def _remember(
        self, text: str, words: list[str], fields: tuple[str, ...], runs: list[list[str]], *, phrase: bool
    ) -> None:
        """Record the terms to show and the matches to mark."""
        shown = words or [text]
        self.out.terms.extend(t for t in shown if t not in self.out.terms)
        if words:
            # Particles inside a phrase would light up all over the text: mark content words.
            marked = self._terms(text) or words
            for f in fields:
                if f in MORPH_HIGHLIGHT_FIELDS:
                    self.out.highlights.terms[f].update(marked)
        self._remember_sequences(text, fields, runs, phrase=phrase)

    def _remember_synonym(self, synonym: str, fields: tuple[str, ...]) -> None:
        """Mark a synonym only where it stands whole: as one word, or as one run of characters."""
        words = self._terms(synonym, keep=True)
        if len(words) == 1:
            for f in fields:
                if f in MORPH_HIGHLIGHT_FIELDS:
                    self.out.highlights.terms[f].add(words[0])
        if (analysed := self.analysed.text(synonym)).single_run:
            self._remember_sequences(synonym, fields, [list(r) for r in analysed.runs], phrase=True)

    def _remember_sequences(self, text: str, fields: tuple[str, ...], runs: list[list[str]], *, phrase: bool) -> None:
        hl = self.out.highlights
        for f in fields:
            if f in _NGRAM_FIELD and runs:
                hl.sequences[_NGRAM_FIELD[f]].extend(tuple(r) for r in runs)
            if f in _READING_FIELD and (reading := self._reading(text)) and len(reading) > 1:
                hl.sequences[_READING_FIELD[f]].append(self.analysed.text(text).reading_grams)

    def _units(self, node: Words) -> Iterable[Unit]:
        """What relaxation may drop: each content term of a plain word, or a whole phrase."""
        fields = node.fields or SEARCH_FIELDS
        # A kana word read whole is one unit: Janome's pieces of it (いひ, せいさ) are no words.
        whole = node.phrase or fields == ("category",) or self._read_whole(node.text)
        words = [] if whole else self._terms(node.text)
        if len(words) <= 1:
            if (q := self._words(node, positive=False)) is not None:
                yield Unit(node.text, q, self._strong_node(node))
            return
        strong = self._meaningful(node.text)
        for term in words:
            yield Unit(term, _any([wq.Term(f, term) for f in fields]), term in strong)

    def _with_nearness(self, query: wq.Query, positives: list[Node]) -> wq.Query:
        """Lift documents where the reader's separate words stand near each other."""
        terms: list[str] = []
        for n in positives:
            if isinstance(n, Words) and not n.fields and not n.phrase and not self._read_whole(n.text):
                terms.extend(self._terms(n.text))
        if not 2 <= len(terms) <= MAX_PROXIMITY_TERMS:
            return query
        near = [wq.Phrase(f, terms, slop=NEAR_SLOP, boost=PROXIMITY_BOOST) for f in ("title", "body")]
        return wq.AndMaybe(query, _any(near))
