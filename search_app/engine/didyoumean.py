"""もしかして: a corrected query from the index's own words, offered only if it finds more."""

from __future__ import annotations

from collections.abc import Callable

from indexer.ngrams import is_kana_word
from search_app.engine.analysed import AnalysedQuery, AnalysedText
from search_app.engine.completions import Vocabulary
from search_app.engine.syntax import And, Node, Words

# A query with fewer results than this may get a suggestion.
FEW_RESULTS = 3
# Plain queries of at most this many words and characters are corrected.
MAX_WORDS = 5
MAX_CHARS = 100
# Candidates tried per word and per kind (each costs one count).
CANDIDATES_PER_WORD = 3
# At most this many queries are counted for one suggestion (a few milliseconds each).
MAX_COUNTS = 16


def plain_words(query: str, node: Node | None) -> list[str] | None:
    """The words of a query (parsed: `node`) made of plain words only (no operators, phrases or fields), else None."""
    if len(query) > MAX_CHARS or node is None:
        return None
    nodes = node.nodes if isinstance(node, And) else (node,)
    if not nodes or len(nodes) > MAX_WORDS:
        return None
    if not all(isinstance(n, Words) and not n.phrase and n.fields is None for n in nodes):
        return None
    words = [n.text for n in nodes if isinstance(n, Words)]
    # Anything the parser read as an operator (OR, -, quotes) changes the text: leave such queries alone.
    return words if " ".join(words) == " ".join(query.split()) else None


def wants_suggestion(total: int, relaxed: bool) -> bool:
    """True for results few enough that a better query is worth looking for."""
    return total < FEW_RESULTS or relaxed


def suggest_query(
    query: str,
    analysed: AnalysedQuery,
    total: int,
    relaxed: bool,
    vocabulary: Vocabulary,
    count: Callable[[str], int],
) -> str | None:
    """A better query for one that found few results, or None.

    Each word is replaced by the spelling of its kana reading (けいひせいさん →
    経費精算) or by a known word one edit away (経費清算 → 経費精算), whichever
    finds the most; the whole corrected query must find more than the original
    (a kana word's kanji spelling: at least as many). `analysed`: the query, parsed and
    analysed for the search (its words are not read again).
    """
    if not wants_suggestion(total, relaxed):
        return None
    words = plain_words(query, analysed.node)
    if not words:
        return None
    strict = 0 if relaxed else total
    # Each count compiles and runs a query: remembered, and limited in number.
    counts: dict[str, int] = {query: strict} if len(words) == 1 else {}

    def counted(text: str) -> int:
        if text not in counts:
            counts[text] = count(text)
        return counts[text]

    chosen: list[str] = []
    spelled_only = True  # every change so far writes a kana word in kanji
    for word in words:
        best, best_count, by_reading = word, counted(word), False
        # A word found in enough articles is not the problem.
        candidates = _candidates(analysed.text(word), vocabulary) if best_count < FEW_RESULTS else []
        for candidate, (reading, homophone) in candidates:
            if len(counts) >= MAX_COUNTS - 1:  # keep one count for the whole corrected query
                break
            found = counted(candidate)
            if found > best_count or (reading and found and found >= best_count and not by_reading):
                best, best_count, by_reading = candidate, found, reading
            # Good enough: a word read the same that finds something, or any that finds plenty.
            if best == candidate and (found >= FEW_RESULTS or (found and (reading or homophone))):
                break
        if best != word and not by_reading:
            spelled_only = False
        chosen.append(best)
    if chosen == words:
        return None
    suggestion = " ".join(chosen)
    found = counted(suggestion)
    if found > strict or (spelled_only and found and found >= strict):
        return suggestion
    return None


def _candidates(word: AnalysedText, vocabulary: Vocabulary) -> list[tuple[str, tuple[bool, bool]]]:
    """Replacements for one word of the query, each with (spells a kana word, is read the same)."""
    text = word.normalized
    if is_kana_word(text):
        spellings = [(s, (True, True)) for s in vocabulary.spellings_of_reading(text) if s != text]
        if spellings:
            return spellings[:CANDIDATES_PER_WORD]
    if len(text) < 2:
        return []
    # Words read the same come first: a wrong kanji from the IME (清算 for 精算, 所 for 書).
    reading = word.spoken
    homophones = [s for s in vocabulary.spellings_of_reading(reading) if s != text] if reading else []
    near = [t for t in vocabulary.near(text) if t not in homophones]
    return [
        *((t, (False, True)) for t in homophones[:CANDIDATES_PER_WORD]),
        *((t, (False, False)) for t in near[:CANDIDATES_PER_WORD]),
    ]
