"""Japanese text analysis for Whoosh: normalization, Janome tokenization, token filters."""

from __future__ import annotations

import bisect
import functools
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from whoosh.analysis import CompositeAnalyzer, LowercaseFilter, Token, Tokenizer

from indexer.filters import BaseFormFilter, FunctionWordFilter, KanaVariantFilter, is_function_word

# Bump when extraction or analysis output changes: every document's digest includes it, so the
# next incremental run re-indexes everything with the new analysis.
ANALYSIS_VERSION = "ja-8"

# Marks that combine with the character before them (dakuten, handakuten, and
# the generic combining range); NFKC must see them together with their base.
_COMBINING = "\u0300-\u036f\u3099\u309a\uff9e\uff9f"

# Janome parts of speech that are not words (punctuation, whitespace, symbols).
_NON_WORD_POS = frozenset({"記号"})
# Janome tags some punctuation it does not know, e.g. a half-width "(", as a noun.
_PUNCTUATION_ONLY = re.compile(r"[\W_]+")


@functools.cache
def _nfkc_tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """What NFKC changes, built once: characters it replaces one for one, and a pattern for every other unit.

    A unit is a character with the combining marks after it: NFKC must see them together.
    """
    one_for_one: dict[int, str] = {}
    others: list[str] = []
    for cp in range(0x30000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        normal = unicodedata.normalize("NFKC", ch)
        if normal == ch:
            continue
        if len(normal) == 1:
            one_for_one[cp] = normal
        else:
            others.append(ch)
    cls = "".join(re.escape(ch) for ch in others)
    # Expanding or shrinking characters, and any character that combining marks follow.
    return one_for_one, re.compile(f"[{cls}][{_COMBINING}]*|.[{_COMBINING}]+", re.DOTALL)


class NormalizedText:
    """NFKC-normalized text with a map from each normalized character back to the original."""

    __slots__ = ("_norm_ends", "_norm_starts", "_orig_ends", "_orig_starts", "original", "text")

    def __init__(self, original: str) -> None:
        self.original = original
        # Only the units NFKC expands, shrinks or merges are recorded (where each starts and
        # ends in both texts); between them the two texts run side by side, so any other
        # character's place follows from the unit before it. Mapping a text costs what
        # normalization reshaped, not its length (highlights map whole bodies).
        pieces: list[str] = []
        norm_starts: list[int] = []
        norm_ends: list[int] = []
        orig_starts: list[int] = []
        orig_ends: list[int] = []
        last = 0
        size = 0
        one_for_one, units = _nfkc_tables()
        for m in units.finditer(original):
            a, b = m.span()
            if a > last:
                # One for one (full-width letters, half-width kana): the same places in both texts.
                pieces.append(original[last:a].translate(one_for_one))
                size += a - last
            unit = unicodedata.normalize("NFKC", original[a:b])
            pieces.append(unit)
            norm_starts.append(size)
            size += len(unit)
            norm_ends.append(size)
            orig_starts.append(a)
            orig_ends.append(b)
            last = b
        pieces.append(original[last:].translate(one_for_one))
        self.text = "".join(pieces)
        self._norm_starts, self._norm_ends = norm_starts, norm_ends
        self._orig_starts, self._orig_ends = orig_starts, orig_ends

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalized text to the original text."""
        if not self._norm_starts:
            return start, end
        if end <= start:
            pos = self._start(start) if start < len(self.text) else len(self.original)
            return pos, pos
        return self._start(start), self._end(end - 1)

    def _start(self, i: int) -> int:
        """Where the normalized character i comes from: its unit's start, or its own place."""
        k = bisect.bisect_right(self._norm_starts, i) - 1
        if k < 0:
            return i
        if i < self._norm_ends[k]:
            return self._orig_starts[k]
        # Every character a unit expands to maps back to the whole unit.
        return self._orig_ends[k] + i - self._norm_ends[k]

    def _end(self, i: int) -> int:
        """Where the normalized character i's source ends."""
        k = bisect.bisect_right(self._norm_starts, i) - 1
        if k >= 0 and i < self._norm_ends[k]:
            return self._orig_ends[k]
        return self._start(i) + 1


@functools.cache
def janome_tokenizer() -> Any:
    """Janome's tokenizer, loaded once per process (its dictionary is memory-mapped)."""
    from janome.tokenizer import Tokenizer as _Janome

    return _Janome()


def _user_words() -> tuple[re.Pattern[str] | None, dict[str, Any]]:
    """The user dictionary in force: re-read when its file changes."""
    from indexer.dictionaries import user_dictionary_path

    path = user_dictionary_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        return None, {}
    return _load_user_words(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=4)
def _load_user_words(path: str, _mtime_ns: int, _size: int) -> tuple[re.Pattern[str] | None, dict[str, Any]]:
    """The user dictionary as one pattern (longest words first) and its entries by surface."""
    from indexer.dictionaries import read_user_dictionary

    entries = {w.surface: w for w in read_user_dictionary(Path(path))}
    if not entries:
        return None, {}
    pattern = "|".join(re.escape(s) for s in sorted(entries, key=len, reverse=True))
    return re.compile(pattern), entries


@dataclass(frozen=True)
class _UserToken:
    """A user dictionary word, shaped like a Janome token."""

    surface: str
    part_of_speech: str
    base_form: str
    reading: str


class JanomeTokenizer(Tokenizer):
    """Splits NFKC-normalized text into Janome words; offsets point into the original text."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        norm = NormalizedText(value)
        pos = start_pos
        for begin, surface, jt in _janome_words(norm.text) if tokenize else ():
            cursor = begin + len(surface)
            major = jt.part_of_speech.split(",", 1)[0]
            if major in _NON_WORD_POS or _PUNCTUATION_ONLY.fullmatch(surface):
                continue
            t.text = surface
            t.boost = 1.0
            t.stopped = False
            t.pos_major = major
            t.pos_minor = jt.part_of_speech.split(",", 2)[1] if "," in jt.part_of_speech else "*"
            t.base = jt.base_form
            t.reading = jt.reading
            if keeporiginal:
                t.original = surface
            if positions:
                t.pos = pos
            pos += 1
            if chars:
                s, e = norm.span(begin, cursor)
                t.startchar, t.endchar = start_char + s, start_char + e
            yield t


def _janome_words(text: str) -> Iterator[tuple[int, str, Any]]:
    """Janome tokens with their offsets, line by line (Janome is faster on short inputs).

    User dictionary words are cut out first and kept whole; Janome tokenizes the
    text around them. (Janome's own user dictionary support makes every lookup
    ~70% slower in pure Python; a regex finds these words in C.)
    """
    tokenizer = janome_tokenizer()
    pattern, entries = _user_words()
    line_start = 0
    for line in text.split("\n"):
        if line.strip():
            pieces = pattern.finditer(line) if pattern is not None else ()
            last = 0
            for m in pieces:
                yield from _tokenize_piece(tokenizer, line[last : m.start()], line_start + last)
                word = entries[m.group()]
                yield (
                    line_start + m.start(),
                    m.group(),
                    _UserToken(word.surface, f"{word.pos},*,*,*", word.surface, word.reading),
                )
                last = m.end()
            yield from _tokenize_piece(tokenizer, line[last:], line_start + last)
        line_start += len(line) + 1


def _tokenize_piece(tokenizer: Any, piece: str, offset: int) -> Iterator[tuple[int, str, Any]]:
    cursor = offset
    if not piece:
        return
    for jt in tokenizer.tokenize(piece):
        yield cursor, jt.surface, jt
        cursor += len(jt.surface)


class JapaneseAnalyzer(CompositeAnalyzer):
    """The one morphological analyzer for indexing and querying."""


def japanese_analyzer() -> JapaneseAnalyzer:
    """Build the analyzer: Janome words → base forms → lower case → kana forms → (queries) content words."""
    return JapaneseAnalyzer(
        JanomeTokenizer(), BaseFormFilter(), LowercaseFilter(), KanaVariantFilter(), FunctionWordFilter()
    )


# An index token: its text, position and span in the original text.
IndexToken = tuple[str, int, int, int]


def analyze(analyzer: CompositeAnalyzer, text: str) -> list[IndexToken]:
    """Run the index-time analysis once: the tokens with their positions and spans."""
    return [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer(text, positions=True, chars=True, mode="index")]


# A word's reading, its span in the text, and its part of speech (major, minor).
ReadingSpan = tuple[str, int, int, str, str]


def analyze_with_readings(analyzer: CompositeAnalyzer, text: str) -> tuple[list[IndexToken], list[ReadingSpan]]:
    """One Janome pass: the index tokens, and each word's reading, span and part of speech."""
    tokens = []
    readings: list[ReadingSpan] = []
    for t in analyzer(text, positions=True, chars=True, mode="index"):
        tokens.append((t.text, t.pos, t.startchar, t.endchar))
        pos = (getattr(t, "pos_major", ""), getattr(t, "pos_minor", ""))
        readings.append((getattr(t, "reading", "*"), t.startchar, t.endchar, *pos))
    return tokens, readings


def title_words(text: str, spans: list[ReadingSpan]) -> tuple[tuple[str, str, str, str], ...]:
    """The words of a title as (surface, reading, major and minor part of speech): the vocabulary's input."""
    return tuple((text[start:end], reading, major, minor) for reading, start, end, major, minor in spans)


def query_terms(analyzer: CompositeAnalyzer, text: str, *, keep_function_words: bool = False) -> list[str]:
    """The terms a query string analyzes to."""
    return [t.text for t in analyzer(text, mode="query", removestops=not keep_function_words)]


# Words whose presence is weak evidence: a question's verb often differs from
# the text's (開く / 開催), so they add to the score without being required.
_WEAK_POS = frozenset({"動詞", "副詞", "形容詞"})
# What a relaxed query cannot stand on alone: numbers, affixes (級 in 簿記二級, お in お知らせ).
_WEAK_ALONE = frozenset({("名詞", "数"), ("名詞", "接尾"), ("名詞", "非自立"), ("接頭詞", "名詞接続")})
_KANJI_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


# A word of a query as searched, with its part of speech (major, minor).
QueryWord = tuple[str, str, str]


class QueryToken(NamedTuple):
    """A word of a query text as searched (base form, lower case, kana form) and as written, its reading and span."""

    term: str
    surface: str
    major: str
    minor: str
    # Janome's katakana reading ("*": none), or the user dictionary's.
    reading: str
    start: int
    end: int

    @property
    def word(self) -> QueryWord:
        """The word as searched, with its part of speech."""
        return self.term, self.major, self.minor

    @property
    def span(self) -> ReadingSpan:
        """The word's reading, span and part of speech, as analyze_with_readings gives them."""
        return self.reading, self.start, self.end, self.major, self.minor


def query_tokens(analyzer: CompositeAnalyzer, text: str) -> list[QueryToken]:
    """Every word of a query text (function words too), from one Janome pass: all that querying needs of it."""
    return [
        QueryToken(
            t.text,
            getattr(t, "original", t.text),
            getattr(t, "pos_major", ""),
            getattr(t, "pos_minor", ""),
            getattr(t, "reading", "*"),
            t.startchar,
            t.endchar,
        )
        for t in analyzer(text, mode="query", removestops=False, chars=True, keeporiginal=True)
    ]


def query_words(analyzer: CompositeAnalyzer, text: str) -> list[QueryWord]:
    """Every word of a query text (function words too) with its part of speech, from one Janome pass."""
    return [t.word for t in query_tokens(analyzer, text)]


def is_content_word(word: QueryWord) -> bool:
    """True for a word a plain query word keeps (FunctionWordFilter drops the others)."""
    term, major, minor = word
    return not is_function_word(major, minor, term)


def is_weak_word(word: QueryWord) -> bool:
    """True for a verb, adverb or adjective: evidence that lifts a match without deciding it."""
    return word[1] in _WEAK_POS


def meaningful_terms(words: list[QueryWord]) -> set[str]:
    """The content terms of a query word (query_words) that can mean the query by themselves.

    Not numbers, affixes, verbs, adverbs or adjectives, and not one character,
    except a one-kanji noun that stands as a word of its own (税の計算, not 消費税 or 二級).
    """
    content = [is_content_word(w) for w in words]
    found: set[str] = set()
    for i, (term, major, minor) in enumerate(words):
        if not content[i] or major in _WEAK_POS or (major, minor) in _WEAK_ALONE or major == "接頭詞":
            continue
        if len(term) == 1:
            alone = not (i and content[i - 1]) and not (i + 1 < len(words) and content[i + 1])
            if not (major == "名詞" and _KANJI_CHAR.match(term) and alone):
                continue
        found.add(term)
    return found


if __name__ == "__main__":  # pragma: no cover - a debugging aid
    ana = japanese_analyzer()
    for line in sys.stdin:
        print(" | ".join(f"{t.text}[{t.startchar}:{t.endchar}]" for t in ana(line, chars=True)))
